"""The SNMP trap receiver attached to the service: a trap updates the live state at once,
is written as an ``snmp_trap`` point, and is handed to listeners (alerting)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

from provnet.config.traps import TrapSettings
from provnet.pollers.traps import TrapError, TrapEvent, TrapListener, TrapReceiver, trap_point

if TYPE_CHECKING:
    from provnet.service import Service

log = logging.getLogger(__name__)


def attach(service: Service, listeners: Sequence[TrapListener] = (),
           settings: TrapSettings | None = None) -> TrapReceiver | None:
    """Register the trap receiver as a background task of ``service`` (None when disabled).

    ``listeners`` get ``(event, device id)`` of every trap from a known device.
    """
    settings = settings or service.settings.traps
    if not settings.enabled:
        return None
    by_address = {t.address: t.device_id for t in service.plan.targets}

    def on_event(event: TrapEvent) -> None:
        device_id = by_address.get(event.source)
        if device_id is None:
            log.info("trap %s from unknown source %s", event.kind, event.source)
            tags = {"source": event.source}
        else:
            tags = dict(service.plan.device_tags.get(device_id, {}))
            up = event.oper_up
            if up is not None and event.ifindex is not None:
                service.live.apply_trap(device_id, event.ifindex, up, event.time)
            for listener in listeners:
                try:
                    listener(event, device_id)
                except Exception:  # a failing listener must not lose the point
                    log.exception("trap listener failed for %s", event)
        service.queue_points([trap_point(event, tags)])

    receiver = TrapReceiver(settings, on_event)

    async def run(stop: asyncio.Event) -> None:
        try:
            await receiver.start()
        except TrapError as exc:
            log.error("%s: traps disabled, link changes are seen at the next poll", exc)
            return
        log.info("trap receiver listening on %s:%d", *receiver.address)
        try:
            await stop.wait()
        finally:
            receiver.close()

    service.background.append(("traps", run))
    return receiver

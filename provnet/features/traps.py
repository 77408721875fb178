"""The SNMP trap receiver attached to the service.

A trap is accepted only from a device's known management address, or, whatever its source
address, when it authenticates as a configured SNMPv3 user tied to a device
(``traps.v3_users[].device``); SNMPv3 messages of unknown users or with bad keys are dropped
by pysnmp's USM and counted by reason (``TrapReceiver.refused``). Because a UDP source address
can be forged, a link trap does not page by itself: it triggers an immediate targeted poll of
that device (:class:`TrapConfirmer`), and only when the poll shows the same port state is it
applied to the live state and handed to the listeners (alerting raises the incident). An
unconfirmed trap is recorded as such (a warning in the log and its ``snmp_trap`` point with
``verdict``/``confirmed`` fields). Other traps (coldStart, ...) go to the listeners at once.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from prometheus_client.core import CounterMetricFamily
from prometheus_client.registry import Collector

from provnet.config.traps import TrapSettings
from provnet.pollers.engine import ProfilePoller
from provnet.pollers.trapconfirm import Verdict, verdict
from provnet.pollers.traps import TrapError, TrapEvent, TrapListener, TrapReceiver, trap_point
from provnet.pollers.types import PollResult

if TYPE_CHECKING:
    from provnet.service import Service

log = logging.getLogger(__name__)


class TrapConfirmer:
    """Polls the sending device at once and hands confirmed link traps to the listeners."""

    def __init__(self, service: Service, listeners: Sequence[TrapListener]) -> None:
        self.service = service
        self.listeners = list(listeners)
        self.counts: dict[Verdict, int] = {"confirmed": 0, "contradicted": 0, "unanswered": 0}
        #: trap receipt to the listeners' return, seconds, of each confirmed trap
        self.confirm_s: list[float] = []
        self._poller: ProfilePoller | None = None
        self._inflight: dict[int, tuple[float, asyncio.Task[PollResult]]] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def check(self, event: TrapEvent, device_id: int) -> None:
        """Start confirming ``event`` (called on the event loop by the receiver)."""
        task = asyncio.get_running_loop().create_task(self._confirm(event, device_id))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _poll(self, device_id: int, since: float) -> asyncio.Task[PollResult] | None:
        """A poll of the device that starts no earlier than ``since`` (one in flight is
        shared by the traps it can answer: a burst of traps costs one poll)."""
        running = self._inflight.get(device_id)
        if running is not None and running[0] >= since and not running[1].done():
            return running[1]
        target = next((t for t in self.service.plan.targets if t.device_id == device_id), None)
        if target is None:
            return None
        if self._poller is None:
            cfg = self.service.settings.poller
            self._poller = ProfilePoller(self.service.plan.profile_for, method=cfg.method,
                                         max_get_varbinds=cfg.max_get_varbinds)
        task = asyncio.get_running_loop().create_task(self._poller.poll(target))
        self._inflight[device_id] = (time.time(), task)
        return task

    async def _confirm(self, event: TrapEvent, device_id: int) -> None:
        poll = self._poll(device_id, event.time)
        result = await poll if poll is not None else None
        v: Verdict = "unanswered" if result is None else verdict(event, result)
        self.counts[v] += 1
        tags = dict(self.service.plan.device_tags.get(device_id, {}))
        self.service.queue_points([trap_point(event, tags, {"verdict": v,
                                                            "confirmed": v == "confirmed"})])
        if v != "confirmed":
            why = result.error if result is not None and result.error else "port state differs"
            log.warning("trap %s from %s (device %d, ifIndex %s) NOT confirmed by a poll "
                        "(%s: %s): nobody is paged", event.kind, event.source, device_id,
                        event.ifindex, v, why)
            return
        up = event.oper_up
        if up is not None and event.ifindex is not None:
            self.service.live.apply_trap(device_id, event.ifindex, up, event.time)
        for listener in self.listeners:
            try:
                listener(event, device_id)
            except Exception:  # a failing listener must not stop the others
                log.exception("trap listener failed for %s", event)
        self.confirm_s.append(time.time() - event.time)
        log.info("trap %s from %s (device %d, ifIndex %s) confirmed by a poll in %.0f ms",
                 event.kind, event.source, device_id, event.ifindex,
                 1000 * self.confirm_s[-1])

    def close(self) -> None:
        """Cancel confirmations in progress and close the poller's transports."""
        for task in list(self._tasks):
            task.cancel()
        if self._poller is not None:
            self._poller.close()
            self._poller = None


def attach(service: Service, listeners: Sequence[TrapListener] = (),
           settings: TrapSettings | None = None) -> TrapReceiver | None:
    """Register the trap receiver as a background task of ``service`` (None when disabled).

    ``listeners`` get ``(event, device id)`` of every trap from a known device; link traps
    only once a poll of the device confirmed them.
    """
    settings = settings or service.settings.traps
    if not settings.enabled:
        return None
    confirmer = TrapConfirmer(service, listeners)
    known: dict[str, int] = {}
    seen_plan: list[object] = [None]

    def by_address(source: str) -> int | None:
        # the plan is replaced when the inventory changes: a new device's traps count at once
        if seen_plan[0] is not service.plan:
            known.clear()
            known.update({t.address: t.device_id for t in service.plan.targets})
            seen_plan[0] = service.plan
        return known.get(source)

    user_device = {u.user: u.device for u in settings.v3_users if u.device}
    by_name: dict[str, int] = {}
    seen_names: list[object] = [None]

    def by_user(user: str | None) -> int | None:
        """The device a configured SNMPv3 user sends for (its traps count from anywhere)."""
        name = user_device.get(user or "")
        if name is None:
            return None
        if seen_names[0] is not service.plan:
            by_name.clear()
            by_name.update({t.name: t.device_id for t in service.plan.targets})
            seen_names[0] = service.plan
        return by_name.get(name)

    def on_event(event: TrapEvent) -> None:
        device_id = by_user(event.user) or by_address(event.source)
        if device_id is None:
            log.warning("trap %s from %s%s ignored: not the management address of a polled "
                        "device%s", event.kind, event.source,
                        f" (SNMPv3 user {event.user})" if event.user else "",
                        "" if event.user is None or event.user not in user_device else
                        f" and user {event.user}'s device {user_device[event.user]!r} is not "
                        "polled")
            service.queue_points([trap_point(event, {"source": event.source})])
            return
        if event.oper_up is not None and event.ifindex is not None:
            confirmer.check(event, device_id)  # the point is written with its verdict
            return
        for listener in listeners:
            try:
                listener(event, device_id)
            except Exception:  # a failing listener must not lose the point
                log.exception("trap listener failed for %s", event)
        service.queue_points([trap_point(event, dict(service.plan.device_tags.get(device_id,
                                                                                   {})))])

    receiver = TrapReceiver(settings, on_event)
    receiver.confirmer = confirmer  # type: ignore[attr-defined]

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
            confirmer.close()

    service.background.append(("traps", run))
    return receiver


class TrapCounts(Collector):
    """``/metrics`` figures of the receiver: traps understood, ignored, and SNMPv3 messages
    refused by USM, by reason."""

    def __init__(self, receiver: TrapReceiver) -> None:
        self.receiver = receiver

    def collect(self) -> Iterator[CounterMetricFamily]:
        r = self.receiver
        yield CounterMetricFamily("provnet_traps_received", "Traps understood (any source)",
                                  value=r.received)
        yield CounterMetricFamily("provnet_traps_ignored", "Traps not understood",
                                  value=r.ignored)
        refused = CounterMetricFamily("provnet_traps_refused",
                                      "SNMPv3 traps refused by USM (unknown user or engine, "
                                      "wrong digest, decryption error)", labels=["reason"])
        for reason, n in sorted(r.refused.items()):
            refused.add_metric([reason], n)
        yield refused

"""ICMP reachability attached to the service: a background sweep of every device this process
polls (a remote poller node pings its own, ``provnet agent``),
its readings kept in the live state (the one place), queued as ``icmp`` points and handed
to listeners (alerting). ``/api/v1/reachability`` and ``/api/v1/devices`` read the live state."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from provnet.config.icmp import IcmpSettings
from provnet.pollers.icmp import IcmplibPinger, Pinger, icmp_loop
from provnet.pollers.readings import IcmpReading, reading_points

if TYPE_CHECKING:
    from provnet.service import Service

log = logging.getLogger(__name__)
IcmpListener = Callable[[int, IcmpReading, float], None]


def attach(service: Service, listeners: Sequence[IcmpListener] = (),
           pinger: Pinger | None = None) -> bool:
    """Probe every polled device in the background (False when ``icmp.enabled`` is off).

    ``listeners`` get ``(device id, reading, time)`` of every probe, on the service's loop.
    """
    settings: IcmpSettings = service.settings.icmp
    if not settings.enabled:
        return False
    probe: Pinger = pinger or IcmplibPinger(settings.privileged)

    def targets() -> list[tuple[int, str]]:
        # not the remote poller nodes' devices: their nodes ping them (features/cluster.py)
        return [(t.device_id, t.address) for t in service.local_targets()]

    def on_reading(device_id: int, reading: IcmpReading) -> None:
        now = time.time()
        service.live.update_icmp(device_id, reading, now)
        for listener in listeners:
            try:
                listener(device_id, reading, now)
            except Exception:  # a failing listener must not lose the point
                log.exception("ICMP listener failed for device %d", device_id)
        tags = service.plan.device_tags.get(device_id, {"device": str(device_id)})
        service.queue_points(reading_points([reading], tags, round(now * 1e6) * 1000))

    async def run(stop: asyncio.Event) -> None:
        await icmp_loop(probe, targets, settings, on_reading, stop)

    service.background.append(("icmp", run))
    return True

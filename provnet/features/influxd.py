"""Supervision of the managed influxd and warnings about the store (when provnet owns one).

Every second: a dead influxd is reaped and restarted on the same port with backoff
(``tsdb/supervise.py``); the spool's figures raise a warning when the store has been
unwritable longer than ``UNWRITABLE_AFTER_S`` and before the spool drops anything. The
restart runs on the service's loop thread on purpose: influxd is started with
``PR_SET_PDEATHSIG`` bound to the starting thread, so a pool thread must not start it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING

from provnet.tsdb.supervise import InfluxdSupervisor, StoreWatch

if TYPE_CHECKING:
    from provnet.service import Service

log = logging.getLogger(__name__)
CHECK_EVERY_S = 1.0
UNWRITABLE_AFTER_S = 300.0


def attach(service: Service, unwritable_after_s: float = UNWRITABLE_AFTER_S
           ) -> InfluxdSupervisor | None:
    """Watch the store; supervise influxd when provnet started it (None otherwise)."""
    sup = InfluxdSupervisor(service.influxd) if service.influxd is not None else None
    watch = StoreWatch(unwritable_after_s=unwritable_after_s)
    max_bytes = service.settings.influx.spool_max_bytes

    async def run(stop: asyncio.Event) -> None:
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), CHECK_EVERY_S)
            if stop.is_set():
                break
            if sup is not None:
                sup.check()
            w = service.writer
            for text in watch.observe(getattr(w, "oldest_pending_age_s", None),
                                      int(getattr(w, "pending_bytes", 0) or 0), max_bytes):
                log.error("%s", text)

    service.background.append(("influxd-watch", run))
    return sup

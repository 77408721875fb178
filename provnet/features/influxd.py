"""Supervision of the managed influxd and warnings about the store (when provnet owns one).

Every second: a dead influxd (or managed victoria-metrics) is reaped and restarted on the same
port with backoff (``tsdb/supervise.py``); the spool's figures raise a warning when the store
has been unwritable longer than ``UNWRITABLE_AFTER_S`` and before the spool drops anything. The
restart runs on the service's loop thread on purpose: influxd is started with
``PR_SET_PDEATHSIG`` bound to the starting thread, so a pool thread must not start it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import TYPE_CHECKING

from provnet.alerts.engine import Observation
from provnet.tsdb.supervise import InfluxdSupervisor, StoreWatch

if TYPE_CHECKING:
    from provnet.alerts.runner import AlertsHandle
    from provnet.service import Service

log = logging.getLogger(__name__)
CHECK_EVERY_S = 1.0
UNWRITABLE_AFTER_S = 300.0
OBSERVE_EVERY_S = 10.0
STORE_ENTITY = "store:influxdb"


def store_observation(writer: object, now: float) -> Observation:
    """``store.writable`` of InfluxDB: 0 while samples wait in the disk spool, else 1 (the
    ``store_unwritable`` rule opens an incident when it stays 0 for 5 minutes)."""
    pending = int(getattr(writer, "pending_points", 0) or 0)
    return Observation(STORE_ENTITY, "store.writable", 0.0 if pending else 1.0, now,
                       {"component": "influxdb"})


def attach(service: Service, unwritable_after_s: float = UNWRITABLE_AFTER_S,
           alerting: AlertsHandle | None = None) -> InfluxdSupervisor | None:
    """Watch the store; supervise influxd when provnet started it (None otherwise).
    With ``alerting``, the store's writability is observed every ``OBSERVE_EVERY_S``."""
    sup = InfluxdSupervisor(service.influxd) if service.influxd is not None else None
    vm_sups = [InfluxdSupervisor(srv, name=srv.name)  # managed victoria-metrics (issue 16)
               for srv in (service.victoria.managed if service.victoria is not None else [])]
    watch = StoreWatch(unwritable_after_s=unwritable_after_s)
    max_bytes = service.settings.influx.spool_max_bytes

    async def run(stop: asyncio.Event) -> None:
        last_observed = 0.0
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), CHECK_EVERY_S)
            if stop.is_set():
                break
            if sup is not None:
                sup.check()
            for vm_sup in vm_sups:
                vm_sup.check()
            w = service.writer
            for text in watch.observe(getattr(w, "oldest_pending_age_s", None),
                                      int(getattr(w, "pending_bytes", 0) or 0), max_bytes):
                log.error("%s", text)
            now = time.time()
            if alerting is not None and now - last_observed >= OBSERVE_EVERY_S:
                alerting.add([store_observation(w, now)])
                last_observed = now

    service.background.append(("influxd-watch", run))
    return sup

"""Operator actions attached to the service (issue 13): poll a device now, back its
configuration up now (routes in ``api/actions.py``).

A poll on request goes through the service's own data path: its rates are computed by the
poll loop against the last scheduled sample (and the next scheduled poll's against this one),
then :meth:`Service.on_result` updates the live state, queues the samples for InfluxDB and
hands the result to alerting. With worker processes (``poller.workers`` > 1) the loop's
samples live in the workers: the result then carries no rates (they come back at the next
scheduled poll). Two requests for the same device while a poll is running share it.

A backup on request uses the SSH settings of the scheduled backups; the SSH plan is read from
the inventory at each request, so a device added while serving can be backed up at once.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import aliased

from provnet.api.actions import ActionRefused, actions_router
from provnet.inventory import model
from provnet.pollers.engine import ProfilePoller
from provnet.pollers.scheduler import PollLoop
from provnet.pollers.ssh import jobs
from provnet.pollers.types import PollResult

if TYPE_CHECKING:
    from provnet.pollers.ssh.collector import SshCollector
    from provnet.service import Service

log = logging.getLogger(__name__)


class ServiceActions:
    """:class:`provnet.api.actions.DeviceActions` over a running :class:`Service`."""

    def __init__(self, service: Service) -> None:
        self.service = service
        self._poller: ProfilePoller | None = None
        self._collector: SshCollector | None = None
        self._inflight: dict[int, asyncio.Task[PollResult]] = {}

    def district_of(self, device_id: int) -> tuple[str, str | None]:
        district = aliased(model.AdminUnit)
        with self.service.store.session() as s:
            row = s.execute(select(model.Device.hostname, district.code)
                            .join(model.Site, model.Device.site_id == model.Site.id)
                            .outerjoin(district, model.Site.district_id == district.id)
                            .where(model.Device.id == device_id)).first()
        if row is None:
            raise ActionRefused(404, f"no device {device_id}")
        return row[0], row[1]

    async def poll(self, device_id: int) -> dict[str, Any]:
        svc = self.service
        target = next((t for t in svc.plan.targets if t.device_id == device_id), None)
        if target is None:
            raise ActionRefused(409, f"device {device_id} is not in the poll plan (no SNMP "
                                     "profile, or added less than one inventory check ago)")
        task = self._inflight.get(device_id)
        if task is None or task.done():
            if self._poller is None:
                cfg = svc.settings.poller
                self._poller = ProfilePoller(lambda dev: svc.plan.profile_for(dev),
                                             method=cfg.method,
                                             max_get_varbinds=cfg.max_get_varbinds)
            task = asyncio.get_running_loop().create_task(self._run_poll(target))
            self._inflight[device_id] = task
        result = await asyncio.shield(task)
        up = sum(1 for x in result.interfaces.values() if x.oper_status == 1)
        down = sum(1 for x in result.interfaces.values() if x.oper_status == 2)
        return {"device_id": device_id, "name": target.name, "ok": result.ok,
                "error": result.error, "error_kind": result.error_kind,
                "polled_at": result.started, "duration_s": round(result.duration_s, 3),
                "interfaces": len(result.interfaces), "interfaces_up": up,
                "interfaces_down": down, "sys_uptime_ticks": result.sys_uptime_ticks}

    async def _run_poll(self, target: Any) -> PollResult:
        assert self._poller is not None
        result = await self._poller.poll(target)
        loop = self.service.poll_loop
        rates = loop.rates_for(result) if isinstance(loop, PollLoop) else {}
        self.service.on_result(result, rates)
        log.info("poll on request of %s: %s in %.0f ms", target.name,
                 "ok" if result.ok else f"failed ({result.error})", 1000 * result.duration_s)
        return result

    async def backup(self, device_id: int) -> dict[str, Any]:
        from provnet.features.ssh import with_demo_credential
        from provnet.pollers.ssh.build import load_ssh_plan, make_collector

        svc = self.service
        if not svc.settings.ssh.enabled:
            raise ActionRefused(409, "SSH is disabled (setting ssh.enabled)")
        settings = with_demo_credential(svc.settings) if svc.demo else svc.settings
        if self._collector is None:
            self._collector = make_collector(settings)
        collector = self._collector
        plan = await asyncio.to_thread(load_ssh_plan, svc.store, settings,
                                       list(collector.platforms))
        target = next((t for t in plan.targets if t.device_id == device_id), None)
        if target is None:
            name = self.district_of(device_id)[0]
            why = next((x.split(": ", 1)[1] for x in plan.skipped
                        if x.startswith(f"{name}: ")),
                       "no SSH endpoint or SSH profile in the inventory")
            raise ActionRefused(409, f"device {name} cannot be backed up: {why}")
        rep = await jobs.backup(collector, [target], svc.store, plan.tags)
        svc.queue_points(rep.points)
        o = rep.outcomes[0]
        log.info("configuration backup on request of %s: %s", o.device,
                 "ok" if o.ok else f"failed ({o.error})")
        return {"device_id": device_id, "name": o.device, "ok": o.ok, "error": o.error,
                "error_kind": o.error_kind, "duration_s": round(o.duration_s, 3),
                "changed": o.changed, "first": o.first, "version_id": o.version_id,
                "lines_added": o.lines_added, "lines_removed": o.lines_removed}

    def close(self) -> None:
        """Close the poller's transports and the SSH collector."""
        if self._poller is not None:
            self._poller.close()
            self._poller = None
        if self._collector is not None:
            self._collector.close()
            self._collector = None


def attach(service: Service) -> ServiceActions:
    """The routes ``POST /api/v1/devices/{id}/poll`` and ``.../config/backup``."""
    actions = ServiceActions(service)
    service.routers.append(actions_router(actions, service.store))
    service.closers.append(actions.close)
    return actions

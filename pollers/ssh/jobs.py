"""The two SSH jobs: optics/interface collection and configuration backup.

Both run every target through the :class:`SshCollector` (failures are per device), then
turn outputs into points and, for backups, into stored versions and change events.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from provnet.inventory.configs import StoreOutcome, record_config
from provnet.inventory.store import Store
from provnet.pollers.ssh.collector import SshCollector
from provnet.pollers.ssh.errors import SshError
from provnet.pollers.ssh.parse import parse_interfaces, parse_optics
from provnet.pollers.ssh.platforms import Platform
from provnet.pollers.ssh.samples import (
    config_change_point,
    ifstate_points,
    optic_points,
    session_point,
)
from provnet.pollers.ssh.scrub import scrub_config
from provnet.pollers.ssh.types import OpticReading, SshResult, SshTarget
from provnet.tsdb.points import Point

log = logging.getLogger(__name__)
COLLECT_PURPOSES = ("optics", "interfaces")


@dataclass(frozen=True)
class DeviceOutcome:
    """One device's outcome of a job, for logs, the CLI and the report."""

    device: str
    ok: bool
    error: str | None = None
    error_kind: str | None = None
    duration_s: float = 0.0
    optics: int = 0
    interfaces: int = 0
    changed: bool = False
    first: bool = False
    version_id: int | None = None
    lines_added: int = 0
    lines_removed: int = 0


@dataclass
class JobReport:
    """Outcomes and the points to write."""

    outcomes: list[DeviceOutcome] = field(default_factory=list)
    points: list[Point] = field(default_factory=list)
    #: device id -> (session start, optic readings) of each collection that read optics
    optics: dict[int, tuple[float, list[OpticReading]]] = field(default_factory=dict)

    @property
    def failed(self) -> list[DeviceOutcome]:
        """Devices that failed."""
        return [o for o in self.outcomes if not o.ok]


def _fail(r: SshResult) -> DeviceOutcome:
    return DeviceOutcome(r.target.name, False, r.error, r.error_kind, r.duration_s)


def parse_collection(results: Sequence[SshResult], platforms: Mapping[str, Platform],
                     tags: Mapping[int, Mapping[str, str]]) -> JobReport:
    """Optics and interface points from collection sessions (pure)."""
    rep = JobReport()
    for r in results:
        t = tags.get(r.target.device_id, {"device": r.target.name})
        rep.points.append(session_point(r, t, "collect"))
        if not r.ok:
            rep.outcomes.append(_fail(r))
            continue
        platform = platforms[r.target.platform]
        try:
            optics = (parse_optics(platform, r.outputs["optics"])
                      if "optics" in r.outputs else [])
            ifs = (parse_interfaces(platform, r.outputs["interfaces"])
                   if "interfaces" in r.outputs else [])
        except SshError as exc:
            rep.outcomes.append(DeviceOutcome(r.target.name, False, str(exc), "parse",
                                              r.duration_s))
            continue
        rep.points += optic_points(optics, t, r.started) + ifstate_points(ifs, t, r.started)
        if optics:
            rep.optics[r.target.device_id] = (r.started, optics)
        rep.outcomes.append(DeviceOutcome(r.target.name, True, duration_s=r.duration_s,
                                          optics=len(optics), interfaces=len(ifs)))
    return rep


async def collect(collector: SshCollector, targets: Sequence[SshTarget],
                  tags: Mapping[int, Mapping[str, str]]) -> JobReport:
    """Run the optics and interfaces commands on every target and parse them (the parsing in a
    worker thread: TextFSM over every device's output held the event loop up to 0.3 s)."""
    import asyncio

    results = await collector.collect(targets, COLLECT_PURPOSES)
    return await asyncio.to_thread(parse_collection, results, collector.platforms, tags)


def store_backups(results: Sequence[SshResult], platforms: Mapping[str, Platform],
                  store: Store, tags: Mapping[int, Mapping[str, str]]) -> JobReport:
    """Scrub and store fetched configurations; a change becomes a ``config_change`` point."""
    rep = JobReport()
    for r in results:
        t = tags.get(r.target.device_id, {"device": r.target.name})
        rep.points.append(session_point(r, t, "backup"))
        if not r.ok:
            rep.outcomes.append(_fail(r))
            continue
        text = scrub_config(platforms[r.target.platform], r.outputs["running_config"])
        res, points = store_config(store, r.target.device_id, r.target.name, text, r.started, t)
        rep.points += points
        rep.outcomes.append(DeviceOutcome(
            r.target.name, True, duration_s=r.duration_s, changed=res.changed, first=res.first,
            version_id=res.version_id, lines_added=res.lines_added,
            lines_removed=res.lines_removed))
    return rep


def store_config(store: Store, device_id: int, name: str, text: str, started: float,
                 tags: Mapping[str, str]) -> tuple[StoreOutcome, list[Point]]:
    """Store one scrubbed configuration fetched at ``started`` (a new version only if it
    changed); a change is a ``config_change`` point (also for a poller node's backup)."""
    with store.session() as s:
        res = record_config(s, device_id, text, dt.datetime.fromtimestamp(started, dt.UTC))
    points: list[Point] = []
    if res.changed and not res.first:
        points.append(config_change_point(tags, started, res.version_id, res.lines_added,
                                          res.lines_removed, res.sha256))
        log.warning("configuration of %s changed: +%d -%d lines (version %d)", name,
                    res.lines_added, res.lines_removed, res.version_id)
    return res, points


async def backup(collector: SshCollector, targets: Sequence[SshTarget], store: Store,
                 tags: Mapping[int, Mapping[str, str]]) -> JobReport:
    """Fetch every target's running configuration and store the changed ones."""
    import asyncio

    results = await collector.collect(targets, ("running_config",))
    return await asyncio.to_thread(store_backups, results, collector.platforms, store, tags)

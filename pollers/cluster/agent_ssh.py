"""A node's SSH jobs: optics collection and configuration backup of its plan's devices.

The jobs are ``provnet serve``'s (:class:`~pollers.ssh.collector.SshCollector` sessions,
:func:`~pollers.ssh.jobs.parse_collection`, :func:`~pollers.ssh.scrub.scrub_config`); what
differs is where the results go: each device's optic readings become an
:class:`~pollers.cluster.sshmsg.OpticsNote` and each fetched configuration, scrubbed here (its
secrets never leave the node), a :class:`~pollers.cluster.sshmsg.ConfigNote`, handed to
``emit`` (the agent's outbox and publisher). The plan names each device's SSH endpoint,
platform, profile and role, never a secret: the credential is chosen from the node's own
``ssh:`` section the way the centre chooses it (:func:`~pollers.ssh.plan.credential_for`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from provnet.config.ssh import SshSettings
from provnet.pollers.cluster.messages import MessageError, NodePlan
from provnet.pollers.cluster.sshmsg import ConfigNote, OpticsNote
from provnet.pollers.ssh.collector import SshCollector
from provnet.pollers.ssh.jobs import parse_collection
from provnet.pollers.ssh.plan import credential_for, login
from provnet.pollers.ssh.scrub import scrub_config
from provnet.pollers.ssh.types import SshTarget

log = logging.getLogger(__name__)
Emit = Callable[[OpticsNote | ConfigNote], None]
PlanOf = Callable[[], NodePlan | None]


@dataclass
class SshStats:
    """What the node's SSH jobs did."""

    rounds: int = 0
    optics_notes: int = 0
    backups: int = 0
    failed: int = 0
    #: configurations refused: too large for one message
    too_large: int = 0


def ssh_targets(plan: NodePlan, cfg: SshSettings, platforms: frozenset[str]
                ) -> tuple[list[SshTarget], list[str]]:
    """The plan's devices with SSH access, a known platform and a credential of this node
    (pure); and why the others with SSH access are left out."""
    targets: list[SshTarget] = []
    skipped: list[str] = []
    for d in plan.devices:
        s = d.ssh
        if s is None:
            continue
        if s.platform not in platforms:
            skipped.append(f"{d.name}: no SSH platform {s.platform!r}")
            continue
        name = credential_for(s.role, s.platform, s.profile, cfg)
        if name is None or name not in cfg.credentials:
            skipped.append(f"{d.name}: no SSH credential {name!r} on this node" if name
                           else f"{d.name}: no SSH credential on this node")
            continue
        targets.append(SshTarget(d.device_id, d.name, s.host, s.port, s.platform,
                                 login(cfg.credentials[name])))
    return targets, skipped


class SshJobs:
    """Collects optics every ``optics_interval_s`` and backs up every ``backup_interval_s``
    (the first of each ``first_after_s`` after the first plan)."""

    def __init__(self, node: str, cfg: SshSettings, collector: SshCollector, plan_of: PlanOf,
                 emit: Emit, stats: SshStats, first_after_s: float = 0.0) -> None:
        self.node, self.cfg, self.collector = node, cfg, collector
        self._plan_of, self._emit, self.stats = plan_of, emit, stats
        self.first_after_s = first_after_s
        self._warned_version = -1

    def targets(self) -> tuple[int, list[SshTarget]]:
        """Plan version and SSH targets (none before the first plan); left-out devices are
        logged once per plan version."""
        plan = self._plan_of()
        if plan is None:
            return 0, []
        targets, skipped = ssh_targets(plan, self.cfg, frozenset(self.collector.platforms))
        if plan.version != self._warned_version:
            self._warned_version = plan.version
            for why in skipped:
                log.warning("%s: not collected over SSH: %s", self.node, why)
        return plan.version, targets

    async def collect_once(self) -> int:
        """One optics round: a note per device that read optics; returns how many."""
        version, targets = self.targets()
        if not targets:
            return 0
        results = await self.collector.collect(targets, ("optics",))
        rep = await asyncio.to_thread(parse_collection, results, self.collector.platforms, {})
        self.stats.rounds += 1
        for o in rep.failed:
            self.stats.failed += 1
            log.warning("%s: SSH collection failed on %s (%s): %s", self.node, o.device,
                        o.error_kind, o.error)
        for device_id, (started, optics) in sorted(rep.optics.items()):
            self._emit(OpticsNote(self.node, device_id, started, tuple(optics), version))
            self.stats.optics_notes += 1
        return len(rep.optics)

    async def backup_once(self) -> int:
        """One backup round: a scrubbed configuration note per device; returns how many."""
        version, targets = self.targets()
        if not targets:
            return 0
        results = await self.collector.collect(targets, ("running_config",))
        done = 0
        for r in results:
            if not r.ok:
                self.stats.failed += 1
                log.warning("%s: SSH backup failed on %s (%s): %s", self.node, r.target.name,
                            r.error_kind, r.error)
                continue
            text = scrub_config(self.collector.platforms[r.target.platform],
                                r.outputs["running_config"])
            try:
                self._emit(ConfigNote(self.node, r.target.device_id, r.started, text, version))
            except MessageError as exc:
                self.stats.too_large += 1
                log.error("%s: backup of %s not published: %s", self.node, r.target.name, exc)
                continue
            done += 1
        self.stats.backups += done
        return done

    async def _every(self, interval_s: float, job: Callable[[], Awaitable[int]],
                     first_after_s: float, stop: asyncio.Event) -> None:
        while not stop.is_set() and self._plan_of() is None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 0.5)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), first_after_s)
        while not stop.is_set():
            try:
                await job()
            except Exception:  # a bug in one round must not end the schedule
                log.exception("%s: SSH job failed", self.node)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), interval_s)

    async def run(self, stop: asyncio.Event) -> None:
        """Both schedules until ``stop`` (sessions under way finish first)."""
        await asyncio.gather(
            self._every(self.cfg.optics_interval_s, self.collect_once, self.first_after_s,
                        stop),
            self._every(self.cfg.backup_interval_s, self.backup_once, self.first_after_s,
                        stop))

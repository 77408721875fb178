"""The centre: consume the hub stream in order, hand batches to the sinks, acknowledge after
the sinks have committed; plan the nodes (pure planner + the PLAN bucket).

Delivery is at least once (a batch whose ack was lost comes again); the sinks make it exactly
once in effect: the TSDB write is idempotent (same series and timestamp overwrite) and
:class:`ResultFeed` drops a device result not newer than the last one it passed on (a
redelivery, or a late result from a node the device was moved away from).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from provnet.config.cluster import ClusterSettings
from provnet.pollers.cluster.collect import IcmpSweep, TrapNote, decode_any
from provnet.pollers.cluster.messages import (
    Batch,
    Heartbeat,
    MessageError,
    NodePlan,
    ResultSink,
)
from provnet.pollers.cluster.planner import DeviceSpec, assign, node_plans
from provnet.pollers.cluster.sshmsg import ConfigNote, OpticsNote
from provnet.pollers.errors import PollerError
from provnet.pollers.types import IfRates, PollResult

log = logging.getLogger(__name__)
OnResult = Callable[[PollResult, dict[int, IfRates]], None]
#: a stalled source is set up again at most this often (s)
SOURCE_RETRY_S = 10.0


class CollectSink(Protocol):
    """Where the centre hands the nodes' ICMP sweeps and traps (in stream order; may come
    again after a lost ack: :class:`pollers.cluster.collectfeed.CollectFeed` drops those)."""

    def icmp(self, sweep: IcmpSweep) -> None:
        """One ICMP sweep of a node."""
        ...

    def trap(self, note: TrapNote) -> None:
        """One trap a node received (and, for a link trap, its confirming poll's verdict)."""
        ...

    def optics(self, note: OpticsNote) -> None:
        """One device's optic readings from a node's SSH collection."""
        ...

    def config(self, note: ConfigNote) -> None:
        """One device's configuration from a node's SSH backup."""
        ...


class Hub(Protocol):
    """The centre's view of the hub (``HubLink``)."""

    async def ensure(self, stream: str, nodes: Sequence[str], replicas: int,
                     retention_days: float) -> None:
        """Stream and bucket exist."""
        ...

    async def read_plans(self) -> dict[str, NodePlan]:
        """Current plans."""
        ...

    async def put_plan(self, plan: NodePlan) -> None:
        """Write a plan."""
        ...

    async def subscribe(self, stream: str, durable: str, max_ack_pending: int,
                        ack_wait_s: float) -> None:
        """Bind the durable consumer."""
        ...

    async def fetch(self, batch: int, timeout: float) -> list[Any]:
        """Messages with ``.data``."""
        ...

    async def ack(self, msgs: Sequence[Any]) -> None:
        """Acknowledge fetched messages."""
        ...

    async def stalled_sources(self, stream: str, idle_s: float) -> list[str]:
        """Sources idle longer than ``idle_s``."""
        ...

    async def restart_source(self, stream: str, name: str) -> None:
        """Set a source up again now."""
        ...


@dataclass
class FeedStats:
    """What the centre has consumed."""

    batches: int = 0
    results: int = 0
    dropped_old: int = 0
    heartbeats: int = 0
    icmp_sweeps: int = 0
    traps: int = 0
    optics_notes: int = 0
    config_notes: int = 0
    undecodable: int = 0
    #: node -> (last tick consumed, its event time, when it was consumed)
    last: dict[str, tuple[int, float, float]] = field(default_factory=dict)
    #: poll start -> consumed latency of each result (seconds), the last 10 000
    latency: list[float] = field(default_factory=list)
    cpu_s: float = 0.0


class ResultFeed:
    """The :class:`ResultSink` feeding the service's data path (live state, TSDB, alerts):
    each device result once, in event-time order per device."""

    def __init__(self, on_result: OnResult, stats: FeedStats,
                 clock: Callable[[], float] = time.time) -> None:
        self._on_result, self.stats, self._clock = on_result, stats, clock
        self._last: dict[int, float] = {}

    def accept(self, batch: Batch) -> None:
        """Pass on each result newer than the device's last; drop the others."""
        now = self._clock()
        for d in batch.results:
            if d.started <= self._last.get(d.device_id, float("-inf")):
                self.stats.dropped_old += 1
                continue
            self._last[d.device_id] = d.started
            result, rates = d.poll_result()
            self._on_result(result, rates)
            self.stats.results += 1
            if len(self.stats.latency) < 10_000:
                self.stats.latency.append(now - d.started)

    def heartbeat(self, hb: Heartbeat) -> None:
        """Nothing to do here (the centre notes the node's liveness)."""


class Centre:
    """Consumes the hub stream and keeps the nodes' plans."""

    def __init__(self, hub: Hub, cfg: ClusterSettings, sinks: Sequence[ResultSink],
                 commit: Callable[[], Awaitable[None]],
                 devices: Callable[[], Sequence[DeviceSpec]], interval_s: float,
                 stats: FeedStats | None = None, clock: Callable[[], float] = time.time,
                 collect: Sequence[CollectSink] = ()) -> None:
        self.hub, self.cfg, self.sinks, self._commit = hub, cfg, list(sinks), commit
        self._devices, self.interval_s, self._clock = devices, interval_s, clock
        self.stats = stats or FeedStats()
        self.collect = list(collect)
        self.last_seen: dict[str, float] = {}
        self.plans: dict[str, NodePlan] = {}
        self.assignment: dict[int, str] = {}
        self.started = clock()
        self._source_restarted: dict[str, float] = {}
        #: sources set up again by the watchdog (after a hub restart or a WAN cut)
        self.source_restarts = 0
        #: set by :meth:`replan_soon`: the planning loop wakes at once
        self._replan = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def nodes(self) -> list[str]:
        """Every node of every group."""
        return sorted({n for g in self.cfg.groups for n in g.nodes})

    async def setup(self) -> None:
        """Stream, bucket, the plans already there (versions go on from them), consumer."""
        await self.hub.ensure(self.cfg.stream, self.nodes, self.cfg.replicas,
                              self.cfg.retention_days)
        self.plans = await self.hub.read_plans()
        for plan in self.plans.values():
            for d in plan.devices:
                self.assignment[d.device_id] = plan.node
        await self.hub.subscribe(self.cfg.stream, self.cfg.durable, self.cfg.max_ack_pending,
                                 self.cfg.ack_wait_s)

    def replan_soon(self) -> None:
        """Re-plan now, not at the next ``plan_every_s`` (the inventory changed); callable
        from any thread (the inventory watch checks in a worker thread)."""
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._replan.set)

    async def replan(self) -> list[NodePlan]:
        """Recompute the assignment; write the plans that changed."""
        devices = list(self._devices())
        assignment = assign(devices, self.cfg.groups, self.last_seen, self._clock(),
                            self.cfg.failover_delay_s, self.assignment, self.started)
        plans = node_plans(devices, assignment, self.cfg.groups, self.interval_s,
                           self.cfg.shards, self.plans)
        changed = [p for n, p in plans.items() if self.plans.get(n) != p]
        for plan in changed:
            await self.hub.put_plan(plan)
            log.info("plan of %s: version %d, %d devices", plan.node, plan.version,
                     len(plan.devices))
        # both at once, once written (planning runs beside the consumer: nothing sees an
        # assignment whose plans are not in the bucket yet)
        self.assignment = assignment
        self.plans.update(plans)
        return changed

    async def watch_sources(self) -> list[str]:
        """Set up again every source idle for 3 intervals (at least 5 s), at most every
        ``SOURCE_RETRY_S`` each: after a hub restart or a cut WAN, the server would otherwise
        retry on its own back-off (tens of seconds to minutes). Nodes heartbeat every tick, so
        an idle source is a broken one."""
        now = self._clock()
        stalled = await self.hub.stalled_sources(self.cfg.stream, max(5.0, 3 * self.interval_s))
        done = []
        for name in stalled:
            if now - self._source_restarted.get(name, float("-inf")) < SOURCE_RETRY_S:
                continue
            self._source_restarted[name] = now
            await self.hub.restart_source(self.cfg.stream, name)
            self.source_restarts += 1
            done.append(name)
        if done:
            log.info("sources set up again: %s", ", ".join(done))
        return done

    def _handle(self, data: bytes) -> None:
        try:
            msg = decode_any(data)
        except MessageError as exc:
            self.stats.undecodable += 1
            log.error("dropping an undecodable message: %s", exc)
            return
        if isinstance(msg, IcmpSweep | TrapNote):
            self.last_seen[msg.node] = self._clock()
            if isinstance(msg, IcmpSweep):
                self.stats.icmp_sweeps += 1
                for c in self.collect:
                    c.icmp(msg)
            else:
                self.stats.traps += 1
                for c in self.collect:
                    c.trap(msg)
            return
        if isinstance(msg, OpticsNote | ConfigNote):
            self.last_seen[msg.node] = self._clock()
            for c in self.collect:
                if isinstance(msg, OpticsNote):
                    c.optics(msg)
                else:
                    c.config(msg)
            if isinstance(msg, OpticsNote):
                self.stats.optics_notes += 1
            else:
                self.stats.config_notes += 1
            return
        if isinstance(msg, Heartbeat):
            self.stats.heartbeats += 1
            self.last_seen[msg.node] = self._clock()
            for s in self.sinks:
                s.heartbeat(msg)
            return
        self.stats.batches += 1
        self.last_seen[msg.node] = self._clock()
        self.stats.last[msg.node] = (msg.tick, msg.event_time, self._clock())
        for s in self.sinks:
            s.accept(msg)

    async def consume_once(self, timeout: float = 1.0) -> int:
        """One fetch: handle in stream order, commit the sinks, then acknowledge."""
        msgs = await self._fetch_and_handle(timeout)
        if msgs:
            await self._commit_and_ack(msgs)
        return len(msgs)

    async def _fetch_and_handle(self, timeout: float) -> list[Any]:
        msgs = await self.hub.fetch(self.cfg.fetch_batch, timeout)
        cpu0 = time.process_time()
        for m in msgs:
            self._handle(m.data)
        self.stats.cpu_s += time.process_time() - cpu0
        return msgs

    async def _commit_and_ack(self, msgs: Sequence[Any]) -> None:
        await self._commit()
        await self.hub.ack(msgs)

    async def consume(self, stop: asyncio.Event, timeout: float = 1.0) -> None:
        """Until ``stop``: fetch and handle the next messages while the previous ones are
        being committed. Their commit and ack run as a task, awaited before the next commit
        starts, so each message is acknowledged only after a commit that began after it was
        handled, and at most two fetches are held unacknowledged. The pipeline is never
        drained for planning (that runs beside it): during a catch-up the decoding of one
        fetch and the TSDB write of the one before overlap all the way."""
        pending: asyncio.Task[None] | None = None
        try:
            while not stop.is_set():
                try:
                    msgs = await self._fetch_and_handle(timeout)
                except PollerError as exc:
                    log.warning("consuming failed: %s; retrying", exc)
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), 0.5)
                    continue
                if pending is not None:
                    task, pending = pending, None
                    await self._settle(task)
                if msgs:
                    pending = asyncio.create_task(self._commit_and_ack(msgs))
        finally:
            if pending is not None:
                await self._settle(pending)

    @staticmethod
    async def _settle(task: asyncio.Task[None]) -> None:
        """Wait for one commit-and-ack; a failure leaves its messages unacknowledged (the
        broker delivers them again after ``ack_wait_s``)."""
        try:
            await task
        except PollerError as exc:
            log.warning("committing failed: %s", exc)

    async def plan_loop(self, stop: asyncio.Event) -> None:
        """Re-plan and watch the sources every ``plan_every_s`` until ``stop``."""
        while not stop.is_set():
            try:
                await self.replan()
                await self.watch_sources()
            except PollerError as exc:
                log.warning("planning failed: %s", exc)
            waits = [asyncio.ensure_future(stop.wait()),
                     asyncio.ensure_future(self._replan.wait())]
            _, pending = await asyncio.wait(waits, timeout=self.cfg.plan_every_s,
                                            return_when=asyncio.FIRST_COMPLETED)
            for task in pending:
                task.cancel()
            self._replan.clear()

    async def run(self, stop: asyncio.Event) -> None:
        """Set up, then consume and (beside it) re-plan until ``stop``."""
        self._loop = asyncio.get_running_loop()
        while not stop.is_set():
            try:
                await self.setup()
                break
            except PollerError as exc:
                log.warning("hub not ready: %s; retrying", exc)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), 1.0)
        if stop.is_set():
            return
        planner = asyncio.create_task(self.plan_loop(stop))
        try:
            await self.consume(stop, min(1.0, self.cfg.plan_every_s))
        finally:
            if not stop.is_set():  # consuming ended by an error or a cancel
                planner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await planner

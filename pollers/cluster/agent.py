"""A poller node ("agent"): polls the devices of its plan, one batch per (shard, tick), and
stores them in its local leaf server's stream, which the hub sources when the WAN is up.

The poll path is the service's (``PollLoop`` per shard: the same poller and rates, computed
here where the previous sample is). What is new is the sink: each shard's cycle becomes a
:class:`~pollers.cluster.messages.Batch`, written first to a small local **outbox** (one file
per batch) and then published with ``Nats-Msg-Id`` = ``<node>:<shard>:<tick>``; the file is
removed once the leaf has acknowledged it. An agent killed mid-publish re-publishes its outbox
when it starts: what the leaf had already stored is dropped as a duplicate, what it had not is
stored, so nothing is lost or doubled. The plan is read from the local mirror of the hub's
``PLAN`` bucket at every tick, so during a WAN cut the node keeps polling on its last plan.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from provnet.pollers.cluster.collect import (
    IcmpSweep,
    TrapNote,
    decode_any,
    encode_icmp,
    encode_trap,
    subject_of,
)
from provnet.pollers.cluster.messages import (
    Batch,
    Heartbeat,
    NodePlan,
    encode_batch,
    encode_heartbeat,
    group_batch,
    heartbeat_subject,
    poll_subject,
    tick_of,
)
from provnet.pollers.cluster.sshmsg import ConfigNote, OpticsNote, encode_config, encode_optics
from provnet.pollers.errors import PollerError
from provnet.pollers.scheduler import Poller, PollLoop
from provnet.pollers.types import IfRates, PollResult, SnmpTarget

log = logging.getLogger(__name__)
#: a collector running beside the poll loop until the stop event (ICMP, traps)
Extra = Callable[[asyncio.Event], Coroutine[object, object, None]]
#: with no plan yet, the PLAN mirror is set up again every this many seconds
MIRROR_RESET_S = 5


class Leaf(Protocol):
    """The agent's view of its local leaf server (``NodeLink``)."""

    async def read_plan(self) -> NodePlan | None:
        """The node's last plan (None: none yet)."""
        ...

    async def publish(self, subject: str, payload: bytes, msg_id: str,
                      timeout: float = 5.0) -> bool:
        """Store one message; True when it was a duplicate."""
        ...

    async def fill(self, max_bytes: int) -> float:
        """The stream's fill level."""
        ...

    async def reset_plan_mirror(self, hub_domain: str) -> None:
        """Set the PLAN mirror up again (only while there is no plan)."""
        ...


@dataclass
class AgentStats:
    """What the agent counts (logged, and read by the bench)."""

    batches: int = 0
    results: int = 0
    duplicates: int = 0
    republished: int = 0
    overruns: int = 0
    publish_retries: int = 0
    #: ICMP sweeps and traps stored for publishing
    collected: int = 0
    #: CPU spent encoding batches and writing the outbox (synchronous, so measurable apart)
    cpu_encode_s: float = 0.0
    last_tick: int = -1
    per_tick: list[tuple[int, float]] = field(default_factory=list)


class Outbox:
    """Batches not yet acknowledged by the leaf, one file each, replayed in tick order."""

    def __init__(self, directory: Path) -> None:
        self.dir = directory
        self.dir.mkdir(parents=True, exist_ok=True)

    @staticmethod
    def _name(b: Batch) -> str:
        return f"{b.tick:016d}-{b.shard:04d}.json"

    def put(self, b: Batch, payload: bytes) -> Path:
        """Keep ``payload`` until acknowledged (write then rename: never a torn file)."""
        return self.put_named(self._name(b), payload)

    def put_named(self, name: str, payload: bytes) -> Path:
        """Keep another message (ICMP sweep, trap) under ``name``."""
        path = self.dir / name
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(payload)
        tmp.replace(path)
        return path

    def pending(self) -> list[Path]:
        """Files left by an earlier run, oldest tick first."""
        return sorted(self.dir.glob("*.json"))


def plan_targets(plan: NodePlan, target_of: Callable[[int, str, str, int], SnmpTarget]
                 ) -> dict[int, list[SnmpTarget]]:
    """Shard -> targets of a plan (every shard present, maybe empty)."""
    out: dict[int, list[SnmpTarget]] = {s: [] for s in range(plan.shards)}
    for d in plan.devices:
        out.setdefault(d.shard % plan.shards, []).append(
            target_of(d.device_id, d.name, d.address, d.port))
    return out


class NodeAgent:
    """Runs the node: plan -> ticks -> per-shard cycles -> outbox -> leaf stream."""

    def __init__(self, node: str, province: str, leaf: Leaf, outbox: Outbox,
                 poller_for: Callable[[NodePlan], Poller],
                 target_of: Callable[[int, str, str, int], SnmpTarget],
                 concurrency: int = 64, spread: float = 0.5, max_bytes: int = 2**34,
                 clock: Callable[[], float] = time.time, hub_domain: str = "hub",
                 extras: Sequence[Extra] = ()) -> None:
        self.node, self.province, self.leaf, self.outbox = node, province, leaf, outbox
        self._poller_for, self._target_of = poller_for, target_of
        self._concurrency, self._spread, self._max_bytes = concurrency, spread, max_bytes
        self._clock, self.hub_domain = clock, hub_domain
        self.extras = list(extras)
        self.stats = AgentStats()
        self.plan: NodePlan | None = None
        self._targets: dict[int, list[SnmpTarget]] = {}
        self._loops: dict[int, PollLoop] = {}
        self._collected: dict[int, list[tuple[PollResult, dict[int, IfRates]]]] = {}
        self._cycles: dict[int, asyncio.Task[None]] = {}
        self._done_tick: dict[int, int] = {}
        #: shard -> ticks skipped while its cycle ran (sent after that cycle's batch: in order)
        self._skipped: dict[int, list[Batch]] = {}
        self._queue: asyncio.Queue[tuple[str, bytes, str, Path | None]] = asyncio.Queue()

    # --- plan -------------------------------------------------------------------------------
    def _apply(self, plan: NodePlan) -> None:
        old = self.plan
        self.plan = plan
        self._targets = plan_targets(plan, self._target_of)
        if old is None or (old.shards, old.interval_s) != (plan.shards, plan.interval_s):
            poller = self._poller_for(plan)
            self._loops = {}
            for s in range(plan.shards):
                bucket: list[tuple[PollResult, dict[int, IfRates]]] = []
                self._collected[s] = bucket
                self._loops[s] = PollLoop(poller, bucket_appender(bucket), self._concurrency,
                                          self._spread)
        log.info("%s: plan version %d, %d devices in %d shards every %.3g s", self.node,
                 plan.version, len(plan.devices), plan.shards, plan.interval_s)

    async def refresh_plan(self) -> NodePlan | None:
        """Re-read the plan from the local mirror; apply it if it changed."""
        try:
            plan = await self.leaf.read_plan()
        except PollerError as exc:
            log.warning("%s: plan not readable (%s); keeping version %s", self.node, exc,
                        self.plan.version if self.plan else None)
            return self.plan
        if plan is not None and (self.plan is None or plan != self.plan):
            self._apply(plan)
        return self.plan

    # --- publishing -------------------------------------------------------------------------
    async def replay_outbox(self) -> int:
        """Queue what an earlier run left unacknowledged (before any new tick)."""
        files = self.outbox.pending()
        for path in files:
            payload = path.read_bytes()
            m = decode_any(payload)
            if not isinstance(m, Heartbeat):
                self._queue.put_nowait((subject_of(m, self.province), payload, m.msg_id, path))
        self.stats.republished += len(files)
        if files:
            log.info("%s: re-publishing %d messages left in the outbox", self.node, len(files))
        return len(files)

    async def _publisher(self, stop: asyncio.Event) -> None:
        """Publish in queue order; each message is retried until the leaf acknowledges it
        (after ``stop``: until the queue is empty or the leaf fails; the outbox keeps the
        rest for the next start)."""
        while not (stop.is_set() and self._queue.empty()):
            try:
                subject, payload, msg_id, path = await asyncio.wait_for(self._queue.get(), 0.5)
            except TimeoutError:
                continue
            delay = 0.1
            while True:
                try:
                    dup = await self.leaf.publish(subject, payload, msg_id)
                except PollerError as exc:
                    self.stats.publish_retries += 1
                    if stop.is_set():
                        return  # the outbox keeps it for the next start
                    log.warning("%s: %s; retrying in %.1f s", self.node, exc, delay)
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, 5.0)
                    continue
                break
            if dup:
                self.stats.duplicates += 1
                log.info("%s: %s was already stored (duplicate dropped)", self.node, msg_id)
            if path is not None:
                path.unlink(missing_ok=True)

    def _enqueue_batch(self, b: Batch) -> None:
        cpu0 = time.process_time()
        payload = encode_batch(b)
        path = self.outbox.put(b, payload)
        self.stats.cpu_encode_s += time.process_time() - cpu0
        self._queue.put_nowait((poll_subject(self.province, self.node, b.shard), payload,
                                b.msg_id, path))
        self.stats.batches += 1
        self.stats.results += len(b.results)
        self._done_tick[b.shard] = max(self._done_tick.get(b.shard, -1), b.tick)

    def emit(self, msg: IcmpSweep | TrapNote | OpticsNote | ConfigNote) -> None:
        """Store and publish a message of another collector (outbox first, like a batch);
        a message that cannot be encoded (a configuration over the message size) is a
        :class:`~pollers.cluster.messages.MessageError`, nothing stored."""
        if isinstance(msg, IcmpSweep):
            payload = encode_icmp(msg)
            name = f"{round(msg.started * 1000):016d}-icmp.json"
        elif isinstance(msg, OpticsNote | ConfigNote):
            payload = encode_optics(msg) if isinstance(msg, OpticsNote) else encode_config(msg)
            kind = "optics" if isinstance(msg, OpticsNote) else "config"
            name = f"{round(msg.started * 1000):016d}-{kind}-{msg.device_id}.json"
        else:
            payload = encode_trap(msg)
            name = f"{round(msg.event.time * 1000):016d}-trap-{msg.msg_id.rsplit(':', 1)[1]}.json"
        path = self.outbox.put_named(name, payload)
        self._queue.put_nowait((subject_of(msg, self.province), payload, msg.msg_id, path))
        self.stats.collected += 1

    def _heartbeat(self, plan: NodePlan, fill: float) -> None:
        if not self._done_tick:
            return
        tick = min(self._done_tick.get(s, -1) for s in range(plan.shards))
        if tick < 0 or tick <= self.stats.last_tick:
            return
        self.stats.last_tick = tick
        hb = Heartbeat(self.node, tick, self._clock(), plan.interval_s, plan.version,
                       plan.shards, len(plan.devices), fill)
        self._queue.put_nowait((heartbeat_subject(self.province, self.node),
                                encode_heartbeat(hb), hb.msg_id, None))

    # --- ticks ------------------------------------------------------------------------------
    async def _cycle(self, plan: NodePlan, shard: int, tick: int, event_time: float) -> None:
        loop, bucket = self._loops[shard], self._collected[shard]
        bucket.clear()
        await loop.run_cycle(self._targets.get(shard, []),
                             spread_s=self._spread * plan.interval_s)
        b = group_batch(self.node, shard, tick, event_time, plan.interval_s, plan.version,
                        plan.shards, bucket)
        bucket.clear()
        self._enqueue_batch(b)
        for skipped in self._skipped.pop(shard, []):
            self._enqueue_batch(skipped)

    def _start_tick(self, plan: NodePlan, tick: int) -> None:
        event_time = tick * plan.interval_s
        for s in range(plan.shards):
            running = self._cycles.get(s)
            if running is not None and not running.done():
                self.stats.overruns += 1
                log.warning("%s: shard %d still polling at tick %d: empty batch", self.node,
                            s, tick)
                self._skipped.setdefault(s, []).append(Batch(
                    self.node, s, tick, event_time, plan.interval_s, plan.version, (),
                    plan.shards, overrun=True))
                continue
            self._cycles[s] = asyncio.create_task(self._cycle(plan, s, tick, event_time))

    async def run(self, stop: asyncio.Event) -> None:
        """Until ``stop``: wait for a plan, then poll every tick; flush the queue at the end."""
        await self.replay_outbox()
        closing = asyncio.Event()  # set once no batch can come any more
        publisher = asyncio.create_task(self._publisher(closing))
        extras = [asyncio.create_task(run(stop)) for run in self.extras]
        try:
            waited = 0
            while not stop.is_set() and await self.refresh_plan() is None:
                log.info("%s: no plan yet (waiting for the hub's PLAN mirror)", self.node)
                waited += 1
                if waited % MIRROR_RESET_S == 0:  # the mirror may sit in its back-off
                    with contextlib.suppress(PollerError):
                        await self.leaf.reset_plan_mirror(self.hub_domain)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), 1.0)
            next_tick: int | None = None
            while not stop.is_set():
                plan = await self.refresh_plan()
                assert plan is not None
                now = self._clock()
                if next_tick is None:
                    next_tick = tick_of(now, plan.interval_s) + 1
                delay = next_tick * plan.interval_s - now
                if delay > 0:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), delay)
                    if stop.is_set():
                        break
                current = tick_of(self._clock(), plan.interval_s)
                if current > next_tick:  # the host slept: restart the schedule, no burst
                    log.warning("%s: %d ticks late; resuming at tick %d", self.node,
                                current - next_tick, current)
                    next_tick = current
                self._start_tick(plan, next_tick)
                fill = 0.0
                with contextlib.suppress(PollerError):
                    fill = await self.leaf.fill(self._max_bytes)
                if fill > 0.8:
                    log.warning("%s: local stream %.0f %% full", self.node, fill * 100)
                self._heartbeat(plan, fill)
                next_tick += 1
        finally:
            running = [t for t in self._cycles.values() if not t.done()]
            if running:  # let the cycles under way end (bounded by the device timeouts)
                await asyncio.wait(running, timeout=5.0)
            for t in running:
                t.cancel()
            await asyncio.gather(*running, return_exceptions=True)
            stop.set()  # the collectors end on it (when the loop ended on an error)
            for result in await asyncio.gather(*extras, return_exceptions=True):
                if isinstance(result, BaseException):
                    log.error("%s: a collector failed: %r", self.node, result)
            closing.set()
            await publisher


def bucket_appender(bucket: list[tuple[PollResult, dict[int, IfRates]]]
                    ) -> Callable[[PollResult, dict[int, IfRates]], None]:
    """``on_result`` that collects into ``bucket``."""
    def add(result: PollResult, rates: dict[int, IfRates]) -> None:
        bucket.append((result, rates))
    return add

"""Polling on several cores: worker processes, devices sharded by a stable hash of their id.

Each worker runs its own event loop with a :class:`~pollers.engine.ProfilePoller` and a
:class:`~pollers.scheduler.PollLoop` (so rates are computed where the previous sample is) and
sends every ``(PollResult, rates)`` and its cycle statistics back over a multiprocessing
queue. The parent feeds them to the same ``on_result``/``on_cycle`` callbacks as the
single-process loop, on its event loop; it merges the workers' statistics of one cycle into
one :class:`CycleStats` (CPU = the workers' CPU). Workers start with the ``spawn`` method
(no forked event loop or sockets) and stop when the parent sets the stop event or dies.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import hashlib
import logging
import multiprocessing as mp
import os
import queue
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from multiprocessing.synchronize import Event as MpEvent
from typing import Any

from provnet.pollers.profiles import DeviceProfile
from provnet.pollers.scheduler import CycleStats, OnResult, PollLoop
from provnet.pollers.types import SnmpTarget

log = logging.getLogger(__name__)
RESULT_BATCH_S = 0.05
#: the longest the service's loop spends on the workers' results in one go (then it answers)
SLICE_S = 0.005


def shard_of(device_id: int, shards: int) -> int:
    """Stable shard of a device (independent of the start-time offset hash)."""
    digest = hashlib.blake2b(device_id.to_bytes(8, "big", signed=True), digest_size=8,
                             person=b"provnet-shard").digest()
    return int.from_bytes(digest, "big") % shards


def resolve_workers(workers: int) -> int:
    """``0`` means one worker per CPU core."""
    return workers if workers > 0 else max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class WorkerConfig:
    """What a worker needs besides its targets (picklable)."""

    interval_s: float
    concurrency: int
    spread: float = 0.0
    method: str = "get"
    max_get_varbinds: int = 64
    start_at: float = 0.0  # wall-clock time of the first cycle (same in every worker)


async def _worker_loop(targets: list[SnmpTarget], profiles: Mapping[int, DeviceProfile],
                       cfg: WorkerConfig, out: Any, stop: MpEvent, shard: int) -> None:
    from provnet.pollers.engine import ProfilePoller

    stop_async = asyncio.Event()

    async def watch() -> None:
        while not stop.is_set() and os.getppid() != 1:
            await asyncio.sleep(0.1)
        stop_async.set()

    batch: list[tuple[Any, Any]] = []

    def flush() -> None:
        if batch:
            out.put(("results", shard, list(batch), None))
            batch.clear()

    async def flusher() -> None:  # results go in batches: one pickle/pipe write per 50 ms
        while not stop_async.is_set():
            await asyncio.sleep(RESULT_BATCH_S)
            flush()

    watcher = asyncio.create_task(watch())
    sender = asyncio.create_task(flusher())
    poller = ProfilePoller(lambda d: profiles.get(d) or DeviceProfile("interfaces"),
                           method="bulk" if cfg.method == "bulk" else "get",
                           max_get_varbinds=cfg.max_get_varbinds)

    def on_cycle(st: CycleStats) -> None:
        flush()  # the cycle's results before its statistics
        out.put(("cycle", shard, st, None))

    loop = PollLoop(poller, lambda r, rates: batch.append((r, rates)), cfg.concurrency,
                    cfg.spread)
    delay = cfg.start_at - time.time()
    if delay > 0:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop_async.wait(), delay)
    try:
        await loop.run_forever(lambda: targets, cfg.interval_s, on_cycle, stop_async)
    finally:
        flush()
        poller.close()
        watcher.cancel()
        sender.cancel()


def _worker_main(shard: int, targets: list[SnmpTarget], profiles: dict[int, DeviceProfile],
                 cfg: WorkerConfig, out: Any, stop: MpEvent) -> None:
    """Entry point of one worker process."""
    logging.basicConfig(level=logging.WARNING)
    try:
        asyncio.run(_worker_loop(targets, profiles, cfg, out, stop, shard))
    except KeyboardInterrupt:
        pass
    finally:
        out.put(("exit", shard, None, None))


def merge_stats(stats: Sequence[CycleStats]) -> CycleStats:
    """One cycle's statistics from the workers' (duration: the longest; CPU: summed)."""
    return CycleStats(
        started=min(s.started for s in stats), duration_s=max(s.duration_s for s in stats),
        devices_ok=sum(s.devices_ok for s in stats),
        devices_failed=sum(s.devices_failed for s in stats),
        varbinds=sum(s.varbinds for s in stats), cpu_s=sum(s.cpu_s for s in stats),
        overrun=any(s.overrun for s in stats), skipped=sum(s.skipped for s in stats))


class ShardedPollLoop:
    """``PollLoop.run_forever`` over ``workers`` processes (same callbacks, same results)."""

    def __init__(self, workers: int, on_result: OnResult | None, config: WorkerConfig,
                 profiles: Mapping[int, DeviceProfile] | None = None) -> None:
        self.workers = resolve_workers(workers)
        self._on_result = on_result
        self._config = config
        self._profiles = dict(profiles or {})
        self.pids: list[int] = []

    async def run_forever(self, get_targets: Callable[[], Sequence[SnmpTarget]],
                          interval_s: float, on_cycle: Callable[[CycleStats], None] | None,
                          stop: asyncio.Event) -> None:
        """Start the workers on the current targets; relay their results until ``stop``."""
        ctx = mp.get_context("spawn")
        out: Any = ctx.Queue()
        mp_stop = ctx.Event()
        shards: list[list[SnmpTarget]] = [[] for _ in range(self.workers)]
        for t in get_targets():
            shards[shard_of(t.device_id, self.workers)].append(t)
        # ``concurrency`` is the total: the agents (and the network) see the same load
        per_worker = max(1, -(-self._config.concurrency // self.workers))
        cfg = WorkerConfig(interval_s, per_worker, self._config.spread,
                           self._config.method, self._config.max_get_varbinds,
                           start_at=time.time() + 0.5)
        procs = []
        for i, targets in enumerate(shards):
            profiles = {t.device_id: self._profiles[t.device_id] for t in targets
                        if t.device_id in self._profiles}
            p = ctx.Process(target=_worker_main, args=(i, targets, profiles, cfg, out, mp_stop),
                            name=f"provnet-poller-{i}", daemon=True)
            p.start()
            procs.append(p)
        self.pids = [p.pid for p in procs if p.pid is not None]
        loop = asyncio.get_running_loop()
        pending: dict[int, list[CycleStats]] = {}
        exited: set[int] = set()
        cycles = [0] * self.workers
        done = asyncio.Event()

        # the workers' messages, handled in order a slice at a time: a batch of results
        # handled in one callback held the loop (and every API answer) up to 0.3 s
        inbox: collections.deque[tuple[str, int, Any, Any]] = collections.deque()
        results: collections.deque[tuple[Any, Any]] = collections.deque()
        draining = [False]

        def dispatch(item: tuple[str, int, Any, Any]) -> None:
            inbox.append(item)
            if not draining[0]:
                draining[0] = True
                loop.call_soon(drain)

        def drain() -> None:
            deadline = time.perf_counter() + SLICE_S
            while inbox or results:
                if time.perf_counter() > deadline:
                    loop.call_soon(drain)  # let the loop answer, then go on
                    return
                if results:
                    result, rates = results.popleft()
                    try:
                        self._on_result(result, rates)  # type: ignore[misc]
                    except Exception:
                        log.exception("on_result failed for %s", result.target.name)
                    continue
                handle(inbox.popleft())
            draining[0] = False

        def handle(item: tuple[str, int, Any, Any]) -> None:
            kind, shard, a, _ = item
            if kind == "results" and self._on_result is not None:
                results.extend(a)
            elif kind == "cycle":
                n = cycles[shard]
                cycles[shard] += 1
                got = pending.setdefault(n, [])
                got.append(a)
                if len(got) == self.workers:
                    del pending[n]
                    if on_cycle is not None:
                        on_cycle(merge_stats(got))
            elif kind == "exit":
                exited.add(shard)
                if len(exited) == self.workers:
                    done.set()

        def pump() -> None:
            while not done.is_set():
                try:
                    item = out.get(timeout=0.2)
                except queue.Empty:
                    if all(not p.is_alive() for p in procs):
                        loop.call_soon_threadsafe(done.set)
                        return
                    continue
                loop.call_soon_threadsafe(dispatch, item)

        reader = threading.Thread(target=pump, name="shard-results", daemon=True)
        reader.start()
        try:
            await stop.wait()
        finally:
            mp_stop.set()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(done.wait(), 10.0)
            done.set()
            for p in procs:
                p.join(timeout=2.0)
                if p.is_alive():
                    p.kill()
                    p.join(timeout=2.0)
            await asyncio.to_thread(reader.join, 1.0)
            out.close()

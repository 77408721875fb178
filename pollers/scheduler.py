"""Polling cycles: poll every target, compute rates against the previous sample, hand over."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import time
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from provnet.pollers.errors import PollerError
from provnet.pollers.rates import compute_rates
from provnet.pollers.types import IfRates, IfSample, PollResult, SnmpTarget

log = logging.getLogger(__name__)

OnResult = Callable[[PollResult, dict[int, IfRates]], None]


class Poller(Protocol):
    """Polls one device at a time (``ProfilePoller``)."""

    async def poll(self, target: SnmpTarget) -> PollResult:
        """One device, once; failures are results."""
        ...


def stable_fraction(device_id: int) -> float:
    """A stable pseudo-random number in [0, 1) per device (same in every process and run)."""
    digest = hashlib.blake2b(device_id.to_bytes(8, "big", signed=True), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


async def poll_spread(poller: Poller, targets: Iterable[SnmpTarget], concurrency: int,
                      spread_s: float = 0.0) -> AsyncIterator[PollResult]:
    """Poll ``targets`` with at most ``concurrency`` in flight; yield results as they end.

    With ``spread_s > 0`` each device starts at its stable offset ``stable_fraction(id) *
    spread_s`` after the call, so a big fleet does not fire at second 0 and every device is
    polled at the same phase of each cycle. A slow device holds only its own slot.
    """
    if concurrency < 1:
        raise PollerError("concurrency must be >= 1")
    sem = asyncio.Semaphore(concurrency)
    done: asyncio.Queue[PollResult] = asyncio.Queue()
    t0 = time.monotonic()

    async def one(target: SnmpTarget) -> None:
        if spread_s > 0:
            delay = t0 + stable_fraction(target.device_id) * spread_s - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
        async with sem:
            result = await poller.poll(target)
        done.put_nowait(result)

    tasks = [asyncio.create_task(one(t)) for t in targets]
    try:
        for _ in range(len(tasks)):
            yield await done.get()
    finally:
        pending = [t for t in tasks if not t.done()]
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)


@dataclass(frozen=True, slots=True)
class CycleStats:
    """Summary of one polling cycle (``cpu_s`` is this process's CPU time over the cycle)."""

    started: float
    duration_s: float
    devices_ok: int
    devices_failed: int
    varbinds: int
    cpu_s: float
    overrun: bool = False
    skipped: int = 0  # devices whose slot was skipped because their previous poll still ran

    @property
    def devices(self) -> int:
        """Devices polled in the cycle."""
        return self.devices_ok + self.devices_failed


@dataclass(slots=True)
class _DeviceState:
    time: float
    uptime: int | None
    interfaces: dict[int, IfSample] = field(default_factory=dict)


class PollLoop:
    """Keeps the last sample of every (device, ifindex) in memory and runs polling cycles.

    ``on_result(result, rates)`` is called synchronously for every device as soon as its poll
    ends (keep it cheap: queue the work). A failed poll keeps the previous sample, so the next
    successful poll yields rates over the longer interval.
    """

    def __init__(
        self,
        poller: Poller,
        on_result: OnResult | None = None,
        concurrency: int = 32,
        spread: float = 0.0,
    ) -> None:
        if not 0.0 <= spread < 1.0:
            raise PollerError("spread must be in [0, 1)")
        self._poller = poller
        self._on_result = on_result
        self._concurrency = concurrency
        #: fraction of the interval over which device start times are spread (0: all at once)
        self.spread = spread
        self._state: dict[int, _DeviceState] = {}
        self._current: _Window | None = None
        self._carry: list[PollResult] = []

    def rates_for(self, result: PollResult) -> dict[int, IfRates]:
        """Rates of ``result`` against the stored sample; stores ``result`` when it is ok."""
        if not result.ok:
            return {}
        device = result.target.device_id
        prev = self._state.get(device)
        rates: dict[int, IfRates] = {}
        for ifindex, sample in result.interfaces.items():
            if prev is None:
                rates[ifindex] = compute_rates(
                    None, None, None, sample, result.started, result.sys_uptime_ticks
                )
            else:
                rates[ifindex] = compute_rates(
                    prev.interfaces.get(ifindex),
                    prev.time,
                    prev.uptime,
                    sample,
                    result.started,
                    result.sys_uptime_ticks,
                )
        self._state[device] = _DeviceState(
            result.started, result.sys_uptime_ticks, dict(result.interfaces)
        )
        return rates

    def forget(self, keep: Iterable[int]) -> None:
        """Drop the stored samples of devices not in ``keep``."""
        wanted = set(keep)
        for device in [d for d in self._state if d not in wanted]:
            del self._state[device]

    async def run_cycle(self, targets: Sequence[SnmpTarget], spread_s: float = 0.0) -> CycleStats:
        """Poll ``targets`` once, calling ``on_result`` per device as results arrive.

        ``spread_s``: device start times are spread over this many seconds (stable offsets).
        """
        started = time.time()
        t0 = time.perf_counter()
        cpu0 = time.process_time()
        ok = failed = varbinds = 0
        async for result in poll_spread(self._poller, targets, self._concurrency, spread_s):
            rates = self.rates_for(result)
            varbinds += result.varbinds
            if result.ok:
                ok += 1
            else:
                failed += 1
            if self._on_result is not None:
                try:
                    self._on_result(result, rates)
                except Exception:
                    log.exception("on_result callback failed for %s", result.target.name)
        keep = {t.device_id for t in targets}
        self.forget(keep)
        forget = getattr(self._poller, "forget", None)
        if forget is not None:
            forget(keep)
        return CycleStats(
            started=started,
            duration_s=time.perf_counter() - t0,
            devices_ok=ok,
            devices_failed=failed,
            varbinds=varbinds,
            cpu_s=time.process_time() - cpu0,
        )

    async def _one(self, target: SnmpTarget, at: float, sem: asyncio.Semaphore,
                   window: _Window) -> None:
        """Poll one device at monotonic time ``at``; account it in its window (or the next)."""
        delay = at - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        async with sem:
            result = await self._poller.poll(target)
        rates = self.rates_for(result)
        w = window if not window.emitted else self._current
        if w is None or w.emitted:
            self._carry.append(result)  # counted in the next cycle's statistics
        else:
            w.add(result)
        if self._on_result is not None:
            try:
                self._on_result(result, rates)
            except Exception:
                log.exception("on_result callback failed for %s", target.name)

    async def run_forever(
        self,
        get_targets: Callable[[], Sequence[SnmpTarget]],
        interval_s: float,
        on_cycle: Callable[[CycleStats], None] | None,
        stop: asyncio.Event,
    ) -> None:
        """Poll every device every ``interval_s`` on its own clock until ``stop``.

        Cycle ``k`` starts at ``T0 + k * interval_s``; each device starts at its stable offset
        within the first ``spread`` of the interval. A device still being polled when its next
        slot comes skips that slot (counted in ``skipped``), so one slow device never delays
        the others. ``on_cycle`` gets each cycle's statistics as soon as all its devices are
        done, or at the end of the interval with ``overrun=True`` (results that arrive later
        are counted in the cycle during which they arrive, or the next if that one was
        already reported).
        """
        if interval_s <= 0:
            raise ValueError("interval_s must be > 0")
        sem = asyncio.Semaphore(self._concurrency)
        inflight: dict[int, asyncio.Task[None]] = {}
        next_start = time.monotonic()
        try:
            while not stop.is_set():
                cycle_start = next_start
                now = time.monotonic()
                if now - cycle_start > interval_s:
                    # a whole cycle late (event loop starved, host suspended): restart the
                    # schedule now rather than firing a burst of catch-up cycles
                    log.warning("poll schedule %.1f s late: restarting it", now - cycle_start)
                    cycle_start = now
                next_start = cycle_start + interval_s
                w = self._current = _Window(time.time(), time.perf_counter(),
                                            time.process_time())
                for late in self._carry:
                    w.add_late(late)
                self._carry.clear()
                targets = get_targets()
                for t in targets:
                    if t.device_id in inflight:
                        w.skipped += 1
                        continue
                    at = cycle_start + stable_fraction(t.device_id) * self.spread * interval_s
                    task = asyncio.create_task(self._one(t, at, sem, w))
                    w.launched += 1
                    inflight[t.device_id] = task
                    task.add_done_callback(_discard(inflight, t.device_id))
                w.close_launch()
                await _wait_any(stop, w.all_done, next_start - time.monotonic())
                if stop.is_set() and not w.all_done.is_set():
                    break  # stopping: a partial cycle is not reported
                self._emit(w, on_cycle, interval_s, len(targets))
                keep = {t.device_id for t in targets}
                self.forget(keep)
                forget = getattr(self._poller, "forget", None)
                if forget is not None:
                    forget(keep)
                delay = next_start - time.monotonic()
                if delay > 0:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), delay)
        finally:
            tasks = list(inflight.values())
            for task in tasks:
                task.cancel()
            if tasks:
                await asyncio.gather(*tasks, return_exceptions=True)

    def _emit(self, w: _Window, on_cycle: Callable[[CycleStats], None] | None,
              interval_s: float, devices: int) -> None:
        w.emitted = True
        overrun = not w.all_done.is_set() or w.skipped > 0
        stats = CycleStats(started=w.started, duration_s=time.perf_counter() - w.t0,
                           devices_ok=w.ok, devices_failed=w.failed, varbinds=w.varbinds,
                           cpu_s=time.process_time() - w.cpu0, overrun=overrun,
                           skipped=w.skipped)
        if overrun:
            log.warning("polling cycle overran its %.2f s interval: %d of %d devices done, "
                        "%d skipped (still polling)", interval_s, stats.devices, devices,
                        w.skipped)
        if on_cycle is not None:
            try:
                on_cycle(stats)
            except Exception:
                log.exception("on_cycle callback failed")


class _Window:
    """Results accounted to one cycle of ``run_forever``."""

    def __init__(self, started: float, t0: float, cpu0: float) -> None:
        self.started, self.t0, self.cpu0 = started, t0, cpu0
        self.launched = self.finished = self.ok = self.failed = self.varbinds = 0
        self.skipped = 0
        self.emitted = False
        self._launch_closed = False
        self.all_done = asyncio.Event()

    def add(self, result: PollResult) -> None:
        self.finished += 1
        self.varbinds += result.varbinds
        if result.ok:
            self.ok += 1
        else:
            self.failed += 1
        self._check()

    def add_late(self, result: PollResult) -> None:
        """A result of an earlier cycle's device that ended after that cycle was reported."""
        self.launched += 1  # balances ``finished`` so completion is still detected
        self.add(result)

    def close_launch(self) -> None:
        self._launch_closed = True
        self._check()

    def _check(self) -> None:
        if self._launch_closed and self.finished >= self.launched:
            self.all_done.set()


def _discard(inflight: dict[int, asyncio.Task[None]], device_id: int
             ) -> Callable[[asyncio.Task[None]], None]:
    def done(_task: asyncio.Task[None]) -> None:
        inflight.pop(device_id, None)
    return done


async def _wait_any(stop: asyncio.Event, done: asyncio.Event, timeout: float) -> None:
    """Until ``stop`` or ``done`` is set, at most ``timeout`` seconds."""
    waiters = [asyncio.create_task(stop.wait()), asyncio.create_task(done.wait())]
    try:
        await asyncio.wait(waiters, timeout=max(0.0, timeout),
                           return_when=asyncio.FIRST_COMPLETED)
    finally:
        for w in waiters:
            w.cancel()

"""Polling cycles: poll every target, compute rates against the previous sample, hand over."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Coroutine, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

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

    def _account(self, result: PollResult, window: _Window, open_windows: deque[_Window]
                 ) -> None:
        """Count ``result`` in its window, or (reported already) the oldest open one, or next."""
        if not window.emitted:
            window.add(result)
        elif open_windows:
            open_windows[0].add_late(result)
        else:
            self._carry.append(result)  # counted in the next cycle's statistics

    async def _slot(self, target: SnmpTarget, at: float, sem: asyncio.Semaphore,
                    window: _Window, open_windows: deque[_Window], polling: set[int]) -> None:
        """At monotonic time ``at`` (the device's slot): poll, or skip if still polling."""
        delay = at - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        device = target.device_id
        if device in polling:  # decided at the device's own slot, not at the cycle start
            window.skip()
            return
        polling.add(device)
        try:
            async with sem:
                result = await self._poller.poll(target)
        finally:
            polling.discard(device)
        rates = self.rates_for(result)
        self._account(result, window, open_windows)
        if self._on_result is not None:
            try:
                self._on_result(result, rates)
            except Exception:
                log.exception("on_result callback failed for %s", target.name)

    async def _report(self, w: _Window, deadline: float, previous: asyncio.Task[None] | None,
                      open_windows: deque[_Window],
                      on_cycle: Callable[[CycleStats], None] | None, interval_s: float,
                      stop: asyncio.Event) -> None:
        """Report ``w`` when all its devices are done or at ``deadline``, after ``previous``."""
        if previous is not None:
            await asyncio.wait([previous])  # cycles are reported in order
        await _wait_any(stop, w.all_done, deadline - time.monotonic())
        if stop.is_set():
            return  # stopping: no more reports (a partial cycle is not reported)
        with contextlib.suppress(ValueError):
            open_windows.remove(w)
        self._emit(w, on_cycle, interval_s)

    async def run_forever(
        self,
        get_targets: Callable[[], Sequence[SnmpTarget]],
        interval_s: float,
        on_cycle: Callable[[CycleStats], None] | None,
        stop: asyncio.Event,
    ) -> None:
        """Poll every device every ``interval_s`` on its own clock until ``stop``.

        Cycle ``k`` starts at ``T0 + k * interval_s``; each device's slot is its stable offset
        within the first ``spread`` of the interval, so its slots are ``interval_s`` apart.
        Whether to poll is decided at the device's own slot: a device whose previous poll is
        still running then skips that slot (counted in ``skipped``); a poll that ends after
        the next cycle has begun but before the device's own next slot costs nothing, so a
        4 s poll on a 5 s interval is polled every 5 s. One slow device never delays the
        others. ``on_cycle`` gets each cycle's statistics, in order, as soon as all its
        devices are done, or at the latest at the last device's next slot (a poll still
        running then has overrun its interval: ``overrun=True``, as has a cycle with a skipped
        slot). Results that arrive later are counted in the oldest cycle not yet reported (or
        the next one). The schedule does not wait for the reports.
        """
        if interval_s <= 0:
            raise ValueError("interval_s must be > 0")
        sem = asyncio.Semaphore(self._concurrency)
        polling: set[int] = set()  # devices whose poll runs (or waits for a concurrency slot)
        tasks: set[asyncio.Task[None]] = set()
        open_windows: deque[_Window] = deque()
        last_report: asyncio.Task[None] | None = None

        def spawn(coro: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
            task = asyncio.create_task(coro)
            tasks.add(task)
            task.add_done_callback(tasks.discard)
            return task

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
                targets = get_targets()
                keep = {t.device_id for t in targets}
                self.forget(keep)
                forget = getattr(self._poller, "forget", None)
                if forget is not None:
                    forget(keep)
                w = _Window(time.time(), time.perf_counter(), time.process_time(),
                            len(targets))
                for late in self._carry:
                    w.add_late(late)
                self._carry.clear()
                open_windows.append(w)
                last_slot = cycle_start
                for t in targets:
                    at = cycle_start + stable_fraction(t.device_id) * self.spread * interval_s
                    last_slot = max(last_slot, at)
                    spawn(self._slot(t, at, sem, w, open_windows, polling))
                # the last device's next slot: a poll of this cycle still running then overran
                last_report = spawn(self._report(w, last_slot + interval_s, last_report,
                                                 open_windows, on_cycle, interval_s, stop))
                delay = next_start - time.monotonic()
                if delay > 0:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), delay)
        finally:
            pending = list(tasks)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.gather(*pending, return_exceptions=True)

    def _emit(self, w: _Window, on_cycle: Callable[[CycleStats], None] | None,
              interval_s: float) -> None:
        w.emitted = True
        overrun = not w.all_done.is_set() or w.skipped > 0
        stats = CycleStats(started=w.started, duration_s=time.perf_counter() - w.t0,
                           devices_ok=w.ok, devices_failed=w.failed, varbinds=w.varbinds,
                           cpu_s=time.process_time() - w.cpu0, overrun=overrun,
                           skipped=w.skipped)
        if overrun:
            log.warning("polling cycle overran its %.2f s interval: %d of %d devices done, "
                        "%d skipped (still polling)", interval_s, stats.devices, w.expected,
                        w.skipped)
        if on_cycle is not None:
            try:
                on_cycle(stats)
            except Exception:
                log.exception("on_cycle callback failed")


class _Window:
    """Results accounted to one cycle of ``run_forever``."""

    def __init__(self, started: float, t0: float, cpu0: float, expected: int) -> None:
        self.started, self.t0, self.cpu0 = started, t0, cpu0
        self.expected = expected  # slots of the cycle (+ late results of earlier ones)
        self.finished = self.ok = self.failed = self.varbinds = self.skipped = 0
        self.emitted = False
        self.all_done = asyncio.Event()
        self._check()

    def add(self, result: PollResult) -> None:
        self.finished += 1
        self.varbinds += result.varbinds
        if result.ok:
            self.ok += 1
        else:
            self.failed += 1
        self._check()

    def skip(self) -> None:
        """A slot skipped: the device's previous poll was still running."""
        self.skipped += 1
        self._check()

    def add_late(self, result: PollResult) -> None:
        """A result of an earlier cycle's device that ended after that cycle was reported."""
        self.expected += 1  # balances ``finished`` so completion is still detected
        self.add(result)

    def _check(self) -> None:
        if self.finished + self.skipped >= self.expected:
            self.all_done.set()


async def _wait_any(stop: asyncio.Event, done: asyncio.Event, timeout: float) -> None:
    """Until ``stop`` or ``done`` is set, at most ``timeout`` seconds."""
    waiters = [asyncio.create_task(stop.wait()), asyncio.create_task(done.wait())]
    try:
        await asyncio.wait(waiters, timeout=max(0.0, timeout),
                           return_when=asyncio.FIRST_COMPLETED)
    finally:
        for w in waiters:
            w.cancel()

"""Polling cycles: poll every target, compute rates against the previous sample, hand over."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import time
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Protocol

from pollers.errors import PollerError
from pollers.rates import compute_rates
from pollers.types import IfRates, IfSample, PollResult, SnmpTarget

log = logging.getLogger(__name__)

OnResult = Callable[[PollResult, dict[int, IfRates]], None]


class Poller(Protocol):
    """Polls one device at a time (``SnmpPoller``, ``ProfilePoller``)."""

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

    async def run_forever(
        self,
        get_targets: Callable[[], Sequence[SnmpTarget]],
        interval_s: float,
        on_cycle: Callable[[CycleStats], None] | None,
        stop: asyncio.Event,
    ) -> None:
        """Run cycles every ``interval_s`` (fixed rate from the first start) until ``stop``.

        A cycle that overruns its slot is logged and the next one starts immediately; the
        schedule then restarts from that moment (no burst of catch-up cycles).
        """
        if interval_s <= 0:
            raise ValueError("interval_s must be > 0")
        next_start = time.monotonic()
        while not stop.is_set():
            next_start += interval_s
            stats = await self.run_cycle(get_targets(), self.spread * interval_s)
            overrun = time.monotonic() > next_start
            if overrun:
                log.warning(
                    "polling cycle overran: %.2f s for a %.2f s interval (%d devices)",
                    stats.duration_s,
                    interval_s,
                    stats.devices,
                )
                stats = replace(stats, overrun=True)
                next_start = time.monotonic()
            if on_cycle is not None:
                try:
                    on_cycle(stats)
                except Exception:
                    log.exception("on_cycle callback failed")
            delay = next_start - time.monotonic()
            if delay > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), delay)

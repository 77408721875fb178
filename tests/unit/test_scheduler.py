"""Scheduling logic with a fake poller (no network): spreading, per-device clocks, skipping."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import Counter

import pytest

from provnet.pollers.scheduler import CycleStats, PollLoop, stable_fraction
from provnet.pollers.types import PollResult, SnmpTarget


class FakePoller:
    """Answers after ``delays[device]`` seconds (default 0); records start times."""

    def __init__(self, delays: dict[int, float] | None = None) -> None:
        self.delays = delays or {}
        self.starts: dict[int, list[float]] = {}

    async def poll(self, target: SnmpTarget) -> PollResult:
        self.starts.setdefault(target.device_id, []).append(time.monotonic())
        t0 = time.time()
        await asyncio.sleep(self.delays.get(target.device_id, 0.0))
        return PollResult(target, t0, self.delays.get(target.device_id, 0.0))


def targets(n: int) -> list[SnmpTarget]:
    return [SnmpTarget(i, f"d{i}", "127.0.0.1") for i in range(1, n + 1)]


def run(loop: PollLoop, ts: list[SnmpTarget], interval: float, cycles: int) -> list[CycleStats]:
    out: list[CycleStats] = []

    async def main() -> None:
        stop = asyncio.Event()

        def on_cycle(st: CycleStats) -> None:
            out.append(st)
            if len(out) == cycles:
                stop.set()

        await asyncio.wait_for(loop.run_forever(lambda: ts, interval, on_cycle, stop), 30)

    asyncio.run(main())
    return out


def test_stable_fraction_is_stable_and_uniform() -> None:
    assert stable_fraction(42) == stable_fraction(42)
    buckets = Counter(int(stable_fraction(d) * 60) for d in range(2500))  # 2,500 devices, 60 s
    assert len(buckets) == 60
    assert max(buckets.values()) < 2 * 2500 / 60  # no second gets more than twice its share


def test_spread_offsets_devices_within_the_interval() -> None:
    poller = FakePoller()
    loop = PollLoop(poller, concurrency=100, spread=0.8)
    t0 = time.monotonic()
    run(loop, targets(40), 0.5, 2)
    firsts = sorted(s[0] - t0 for s in poller.starts.values())
    assert firsts[-1] - firsts[0] > 0.25  # spread over most of 0.8 * 0.5 s
    assert firsts[-1] < 0.45
    for dev, starts in poller.starts.items():  # same phase in each cycle
        assert starts[1] - starts[0] == pytest.approx(0.5, abs=0.08), dev


def test_slow_device_skips_its_slots_others_keep_their_clock() -> None:
    poller = FakePoller({1: 1.3})
    loop = PollLoop(poller, concurrency=10)
    cycles = run(loop, targets(5), 0.4, 5)
    assert [c.skipped for c in cycles] == [0, 1, 1, 1, 0]  # relaunched once it has ended
    assert cycles[0].overrun and cycles[0].devices_ok == 4
    assert len(poller.starts[1]) == 2
    for dev in range(2, 6):
        gaps = [b - a for a, b in zip(poller.starts[dev], poller.starts[dev][1:], strict=False)]
        assert all(g == pytest.approx(0.4, abs=0.08) for g in gaps), gaps
    # the slow device's result is counted in the cycle during which it arrived
    assert [c.devices for c in cycles] == [4, 4, 4, 4, 5]


def test_bad_spread_rejected() -> None:
    with pytest.raises(Exception, match="spread"):
        PollLoop(FakePoller(), spread=1.0)


class BlockingOnce(FakePoller):
    """Blocks the whole event loop once (as a starved loop or a suspended host would)."""

    async def poll(self, target: SnmpTarget) -> PollResult:
        if target.device_id == 1 and 1 not in self.starts:
            time.sleep(0.9)
        return await super().poll(target)


def test_no_burst_of_catch_up_cycles_after_a_stall() -> None:
    poller = BlockingOnce()
    run(PollLoop(poller, concurrency=10), targets(2), 0.2, 6)
    gaps = [b - a for a, b in zip(poller.starts[2], poller.starts[2][1:], strict=False)]
    assert all(g > 0.12 for g in gaps[1:]), gaps  # never several cycles back to back


def test_poll_shorter_than_interval_is_never_skipped_whatever_its_offset(
        caplog: pytest.LogCaptureFixture) -> None:
    """Issue 10: 0.4 s polls on a 0.5 s interval, starts spread: every device every 0.5 s.

    The skip is decided at the device's own slot (its previous poll ended 0.1 s before it),
    not at the cycle start, and a poll that ends after the cycle boundary but before the
    device's next slot is no overrun.
    """
    interval, spread = 0.5, 0.8
    ts = targets(6)
    offsets = [stable_fraction(t.device_id) * spread * interval for t in ts]
    assert max(offsets) > 0.15  # some device ends its poll after the next cycle has begun
    poller = FakePoller({t.device_id: 0.4 for t in ts})
    loop = PollLoop(poller, concurrency=10, spread=spread)
    with caplog.at_level("WARNING", logger="provnet.pollers.scheduler"):
        cycles = run(loop, ts, interval, 6)
    assert [c.skipped for c in cycles] == [0] * 6
    assert not any(c.overrun for c in cycles)
    assert [c.devices_ok for c in cycles] == [6] * 6
    assert not [r for r in caplog.records if "overran" in r.getMessage()]
    for dev, starts in poller.starts.items():
        assert len(starts) >= 6, (dev, len(starts))
        gaps = [b - a for a, b in itertools.pairwise(starts)]
        assert all(g == pytest.approx(interval, abs=0.15) for g in gaps), (dev, gaps)

"""Table-driven tests of pollers.rates.compute_rates."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import pytest

from provnet.pollers.rates import compute_rates
from provnet.pollers.scheduler import PollLoop
from provnet.pollers.types import IfRates, IfSample, PollResult, SnmpTarget
from tests.support.walk_poller import SnmpPoller

W32 = 2**32
GBIT = 1000  # ifHighSpeed in Mbit/s


def s(
    in_o: int | None = 0,
    out_o: int | None = 0,
    ie: int | None = 0,
    oe: int | None = 0,
    idi: int | None = 0,
    odi: int | None = 0,
    speed: int | None = GBIT,
    disc: int | None = None,
    bits: int = 64,
) -> IfSample:
    """Sample of interface 1 with the given counters."""
    return IfSample(
        ifindex=1,
        name="ge-0/0/1",
        oper_status=1,
        admin_status=1,
        in_octets=in_o,
        out_octets=out_o,
        in_errors=ie,
        out_errors=oe,
        in_discards=idi,
        out_discards=odi,
        high_speed_mbps=speed,
        discontinuity_ticks=disc,
        counter_bits=bits,
    )


@dataclass
class Case:
    id: str
    prev: IfSample | None
    cur: IfSample
    dt: float | None = 60.0  # None: no previous time
    prev_up: int | None = 100_000
    cur_up: int | None = 106_000
    expect: dict[str, Any] = field(default_factory=dict)  # fields that are not None/False


ZERO_RATES = {
    "in_bps": 0.0,
    "out_bps": 0.0,
    "in_util_pct": 0.0,
    "out_util_pct": 0.0,
    "in_errors_ps": 0.0,
    "out_errors_ps": 0.0,
    "in_discards_ps": 0.0,
    "out_discards_ps": 0.0,
}


def zero(**over: Any) -> dict[str, Any]:
    """Expected all-zero rates with some fields overridden (None drops the key)."""
    out = {**ZERO_RATES, **over}
    return {k: v for k, v in out.items() if v is not None}


CASES = [
    Case("first-sample", None, s(), dt=None, prev_up=None),
    Case("no-prev-time", s(), s(), dt=None),
    Case("zero-dt", s(), s(in_o=1000), dt=0.0),
    Case("negative-dt", s(), s(in_o=1000), dt=-5.0),
    Case("idle-link", s(5, 5, 1, 1, 1, 1), s(5, 5, 1, 1, 1, 1), expect=zero()),
    Case(
        "100-mbit-in-on-gigabit",
        s(in_o=0, out_o=1_000),
        s(in_o=750_000_000, out_o=1_000 + 7_500_000),
        expect=zero(in_bps=100e6, in_util_pct=10.0, out_bps=1e6, out_util_pct=0.1),
    ),
    Case(
        "errors-and-discards-per-second",
        s(ie=10, oe=20, idi=30, odi=40),
        s(ie=70, oe=140, idi=330, odi=40),
        expect=zero(in_errors_ps=1.0, out_errors_ps=2.0, in_discards_ps=5.0),
    ),
    Case(
        "counter32-wrap-in-errors",
        s(ie=W32 - 10),
        s(ie=50),
        expect=zero(in_errors_ps=1.0),
    ),
    Case(
        "counter32-wrap-out-discards",
        s(odi=W32 - 1),
        s(odi=119),
        expect=zero(out_discards_ps=2.0),
    ),
    Case("hc-in-reset", s(in_o=10**12), s(in_o=5_000), expect={"reset": True}),
    Case("hc-out-reset", s(out_o=10**9), s(out_o=0), expect={"reset": True}),
    Case(
        "hc-reset-without-uptime",
        s(in_o=10**12),
        s(in_o=5_000),
        prev_up=None,
        cur_up=None,
        expect={"reset": True},
    ),
    Case(
        "reboot-uptime-back",
        s(in_o=1000, ie=W32 - 1),
        s(in_o=900_000, ie=3),
        prev_up=9_000_000,
        cur_up=3_000,
        expect={"reset": True},
    ),
    Case(
        "reboot-uptime-shorter-than-interval",
        s(in_o=1000),
        s(in_o=2_000_000),
        dt=300.0,
        prev_up=500,
        cur_up=6_000,
        expect={"reset": True},
    ),
    Case(
        "uptime-equal-is-not-reboot",
        s(),
        s(),
        prev_up=6_000,
        cur_up=6_000,
        dt=1.0,
        expect=zero(),
    ),
    Case(
        "uptime-unknown-rates-still-computed",
        s(in_o=0),
        s(in_o=7_500_000),
        prev_up=None,
        cur_up=None,
        expect=zero(in_bps=1e6, in_util_pct=0.1),
    ),
    Case(
        "over-speed-in-rejected-out-kept",
        s(in_o=0, out_o=0),
        s(in_o=15_000_000_000, out_o=75_000_000),
        expect=zero(in_bps=None, in_util_pct=None, out_bps=10e6, out_util_pct=1.0, rejected=True),
    ),
    Case(
        "within-speed-tolerance",
        s(in_o=0),
        s(in_o=7_875_000_000),  # 1.05 Gbit/s on 1 Gbit/s
        expect=zero(in_bps=1.05e9, in_util_pct=105.0),
    ),
    Case(
        "zero-speed-no-util-no-rejection",
        s(in_o=0, speed=0),
        s(in_o=75_000_000_000, speed=0),
        expect=zero(in_bps=10e9, in_util_pct=None, out_util_pct=None),
    ),
    Case(
        "missing-speed",
        s(out_o=0, speed=None),
        s(out_o=750_000, speed=None),
        expect=zero(out_bps=100e3, in_util_pct=None, out_util_pct=None),
    ),
    Case(
        "speed-from-previous-sample",
        s(in_o=0),
        s(in_o=75_000_000, speed=None),
        expect=zero(in_bps=10e6, in_util_pct=1.0),
    ),
    Case(
        "missing-counter-current",
        s(in_o=0, ie=0),
        s(in_o=None, ie=None),
        expect=zero(in_bps=None, in_util_pct=None, in_errors_ps=None),
    ),
    Case(
        "missing-counter-previous",
        s(out_o=None, odi=None),
        s(out_o=100, odi=5),
        expect=zero(out_bps=None, out_util_pct=None, out_discards_ps=None),
    ),
    Case(
        "counter32-backwards-on-slow-link-is-impossible-wrap",
        s(ie=1_000, speed=10),  # 10 Mbit/s: at most ~14.9k frames/s
        s(ie=10, speed=10),  # "wrap" would mean ~71.6M errors/s
        expect=zero(in_errors_ps=None, rejected=True),
    ),
    Case(
        "counter32-wrap-unknown-speed-accepted",
        s(ie=1_000, speed=None),
        s(ie=10, speed=None),
        expect=zero(in_errors_ps=(W32 - 990) / 60.0, in_util_pct=None, out_util_pct=None),
    ),
    # ifCounterDiscontinuityTime: a counter restart without a reboot (line card reset)
    Case("discontinuity-moved", s(in_o=10**9, disc=0), s(in_o=10**9 + 50, disc=4_200),
         expect={"reset": True}),
    Case("discontinuity-moved-counters-still-forward", s(in_o=0, disc=100),
         s(in_o=7_500_000, disc=200), expect={"reset": True}),
    Case("discontinuity-same", s(in_o=0, disc=4_200), s(in_o=7_500_000, disc=4_200),
         expect=zero(in_bps=1e6, in_util_pct=0.1)),
    Case("discontinuity-appears", s(in_o=0), s(in_o=7_500_000, disc=4_200),
         expect=zero(in_bps=1e6, in_util_pct=0.1)),
    # 32-bit octet counters (no ifHC*): backwards is a wrap, not a reset
    Case("counter32-octets-wrap", s(in_o=W32 - 3_750_000, bits=32),
         s(in_o=3_750_000, bits=32), expect=zero(in_bps=1e6, in_util_pct=0.1)),
    Case("counter32-octets-forward", s(out_o=0, bits=32), s(out_o=7_500_000, bits=32),
         expect=zero(out_bps=1e6, out_util_pct=0.1)),
    Case("counter32-octets-wrap-over-speed-rejected", s(in_o=10, speed=10, bits=32),
         s(in_o=5, speed=10, bits=32),
         expect=zero(in_bps=None, in_util_pct=None, out_util_pct=0.0, rejected=True)),
    Case("counter-width-changed", s(in_o=W32 - 1, bits=32), s(in_o=10**12, bits=64)),
    Case("hc-64bit-wrap-is-a-reset-not-a-wrap", s(in_o=2**64 - 10), s(in_o=10),
         expect={"reset": True}),
    Case("reboot-wins-over-discontinuity", s(in_o=10**9, disc=0), s(in_o=10, disc=0),
         prev_up=9_000_000, cur_up=100, expect={"reset": True}),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_compute_rates(case: Case) -> None:
    t0 = 1_700_000_000.0
    prev_time = None if case.dt is None else t0
    cur_time = t0 + (case.dt or 0.0)
    got = compute_rates(case.prev, prev_time, case.prev_up, case.cur, cur_time, case.cur_up)
    expected = IfRates(**case.expect)
    for name, want in asdict(expected).items():
        have = getattr(got, name)
        if isinstance(want, float):
            assert have == pytest.approx(want, rel=1e-9), name
        else:
            assert have == want, name


def test_rates_never_negative_for_forward_counters() -> None:
    prev, cur = s(in_o=10, out_o=10), s(in_o=10, out_o=11)
    got = compute_rates(prev, 0.0, 100, cur, 1.0, 200)
    assert got.in_bps == 0.0 and got.out_bps == 8.0 and not got.reset


# --- PollLoop.rates_for: state kept between consecutive results (no network involved) -------


def _result(device: int, t: float, uptime: int | None, ifs: dict[int, IfSample],
            error: str | None = None) -> PollResult:
    target = SnmpTarget(device, f"d{device}", "127.0.0.1")
    return PollResult(target, t, 0.01, uptime, {} if error else ifs, error=error)


def test_poll_loop_rates_across_results() -> None:
    loop = PollLoop(SnmpPoller())
    r1 = loop.rates_for(_result(1, 100.0, 10_000, {1: s(in_o=0)}))
    assert r1 == {1: IfRates()}
    # a failed poll yields no rates and keeps the previous sample
    assert loop.rates_for(_result(1, 160.0, None, {}, error="timeout")) == {}
    r3 = loop.rates_for(_result(1, 220.0, 22_000, {1: s(in_o=1_500_000_000), 2: s()}))
    assert r3[1].in_bps == pytest.approx(100e6)  # over the 120 s since the last good sample
    assert r3[2] == IfRates()  # new interface: first sample
    # reboot: gap, then normal rates again
    assert loop.rates_for(_result(1, 280.0, 500, {1: s(in_o=10)}))[1].reset
    assert loop.rates_for(_result(1, 340.0, 6_500, {1: s(in_o=10)}))[1].in_bps == 0.0
    # another device has its own state; forgotten devices start over
    assert loop.rates_for(_result(2, 340.0, 100, {1: s(in_o=10)})) == {1: IfRates()}
    loop.forget([2])
    assert loop.rates_for(_result(1, 400.0, 12_500, {1: s(in_o=10)})) == {1: IfRates()}

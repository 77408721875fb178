"""Link health derived from both ends: table of end states -> status."""

import pytest

from provnet.pollers.live import DeviceState, IfState, link_health
from provnet.pollers.types import IfRates, IfSample

NOW = 1000.0
STALE = 25.0


def end(oper: int, t: float = NOW - 5, in_bps: float = 2e6, out_bps: float = 5e5) -> IfState:
    return IfState(IfSample(1, oper_status=oper), IfRates(in_bps=in_bps, out_bps=out_bps), t)


def dev(ok: bool = True, t: float = NOW - 5) -> DeviceState:
    return DeviceState(t, ok, None if ok else "timeout", 0.01, 100)


@pytest.mark.parametrize(
    ("a", "z", "a_dev", "z_dev", "status"),
    [
        (end(1), end(1), dev(), dev(), "up"),
        (end(2), end(1), dev(), dev(), "down"),
        (end(1), end(2), dev(), dev(), "down"),
        (end(7), None, dev(), None, "down"),  # lowerLayerDown
        (None, end(2), dev(False), dev(), "down"),  # commune unreachable, PoP port down
        (None, end(1), dev(False), dev(), "up"),
        (None, None, dev(False), dev(False), "unknown"),
        (end(1, t=NOW - 100), None, dev(t=NOW - 100), None, "unknown"),  # stale
        # the device's latest poll failed: its older interface reading no longer counts
        (end(1, t=NOW - 15), end(2), dev(False, t=NOW - 5), dev(), "down"),
        (end(2, t=NOW - 15), None, dev(False, t=NOW - 5), None, "unknown"),
    ],
)
def test_status(a, z, a_dev, z_dev, status) -> None:
    assert link_health(a, z, a_dev, z_dev, 100, NOW, STALE).status == status


def test_rates_from_a_end_and_utilisation() -> None:
    h = link_health(end(1, in_bps=40e6, out_bps=1e6), end(1), dev(), dev(), 100, NOW, STALE)
    assert h.in_bps == 40e6 and h.out_bps == 1e6
    assert h.utilisation_pct == pytest.approx(40.0)
    assert h.last_polled == NOW - 5


def test_rates_mirrored_from_z_end_when_a_unknown() -> None:
    h = link_health(None, end(1, in_bps=1e6, out_bps=30e6), dev(False), dev(), 100, NOW, STALE)
    assert (h.in_bps, h.out_bps) == (30e6, 1e6)
    assert h.utilisation_pct == pytest.approx(30.0)

"""Link health derived from both ends: table of end states -> status."""

import pytest

from provnet.pollers.live import DeviceState, IfState, link_health
from provnet.pollers.reasons import LINK_REASONS, reason_text
from provnet.pollers.types import IfRates, IfSample

NOW = 1000.0
STALE = 25.0


def end(oper: int, t: float = NOW - 5, in_bps: float | None = 2e6,
        out_bps: float | None = 5e5) -> IfState:
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


def trapped_down(state: IfState, at: float = NOW - 1) -> IfState:
    """``state`` after a linkDown trap (LiveState.apply_trap): oper down, rates kept."""
    return IfState(IfSample(1, oper_status=2), state.rates, state.time, at)


@pytest.mark.parametrize(
    ("a", "z", "a_dev", "z_dev", "status", "in_bps", "out_bps", "util"),
    [
        # up: the A end's rates (or the Z end's, mirrored)
        (end(1, in_bps=40e6, out_bps=1e6), end(1), dev(), dev(), "up", 40e6, 1e6, 40.0),
        (None, end(1, in_bps=1e6, out_bps=30e6), dev(False), dev(), "up", 30e6, 1e6, 30.0),
        # down at either end: 0 bit/s while down, whatever the last interval carried
        (end(2, in_bps=40e6, out_bps=1e6), end(1), dev(), dev(), "down", 0.0, 0.0, 0.0),
        (end(1, in_bps=40e6, out_bps=1e6), end(2), dev(), dev(), "down", 0.0, 0.0, 0.0),
        (end(7, in_bps=40e6), None, dev(), None, "down", 0.0, 0.0, 0.0),  # lowerLayerDown
        (None, end(2, in_bps=1e6, out_bps=30e6), dev(False), dev(), "down", 0.0, 0.0, 0.0),
        # a linkDown trap after the last poll: the poll's rates predate the failure
        (trapped_down(end(1, in_bps=40e6, out_bps=1e6)), end(1), dev(), dev(), "down",
         0.0, 0.0, 0.0),
        # down with no rate yet (first sample): still 0 measured while down
        (end(2, in_bps=None, out_bps=None), end(1), dev(), dev(), "down", 0.0, 0.0, 0.0),
        # up but no rate yet: unknown, not 0
        (end(1, in_bps=None, out_bps=None), end(1), dev(), dev(), "up", None, None, None),
        # nothing fresh: unknown, no numbers
        (None, None, dev(False), dev(False), "unknown", None, None, None),
    ],
    ids=["up", "up-z-only", "a-down", "z-down", "lower-layer-down", "z-only-down",
         "trap-after-poll", "down-first-sample", "up-first-sample", "unknown"],
)
def test_down_link_carries_no_traffic(a, z, a_dev, z_dev, status, in_bps, out_bps, util) -> None:
    h = link_health(a, z, a_dev, z_dev, 100, NOW, STALE)
    assert (h.status, h.in_bps, h.out_bps) == (status, in_bps, out_bps)
    assert h.utilisation_pct == (None if util is None else pytest.approx(util))


# --- reasons: stable code, English as before, Vietnamese for pages and notifications -------
@pytest.mark.parametrize(
    ("a", "z", "a_dev", "z_dev", "code", "en", "vi"),
    [
        (end(1), end(1), dev(), dev(), "up", "oper up", "đang hoạt động (oper up)"),
        (None, end(1), dev(False), dev(), "up_one_end", "oper up (one end polled)",
         "đang hoạt động (oper up; mới đọc được một đầu)"),
        (end(2), end(1), dev(), dev(), "down_a", "oper status not up at end A",
         "đầu A không hoạt động (oper status không phải up)"),
        (end(1), end(7), dev(), dev(), "down_z", "oper status not up at end Z",
         "đầu Z không hoạt động (oper status không phải up)"),
        (end(2), end(2), dev(), dev(), "down_both", "oper status not up at end A+Z",
         "cả hai đầu A và Z không hoạt động (oper status không phải up)"),
        (end(1, t=NOW - 100), None, dev(t=NOW - 100), None, "no_fresh_data",
         "no fresh data from either end", "không có dữ liệu mới từ đầu nào"),
        (None, None, dev(False), dev(False), "both_unreachable",
         "both ends unreachable (timeout; timeout)",
         "không liên lạc được với cả hai đầu (timeout; timeout)"),
    ],
    ids=["up", "up-one-end", "down-a", "down-z", "down-both", "no-fresh-data",
         "both-unreachable"],
)
def test_reason_code_and_texts(a, z, a_dev, z_dev, code, en, vi) -> None:
    h = link_health(a, z, a_dev, z_dev, 100, NOW, STALE)
    assert h.reason_code == code
    assert h.reason == en  # the API's English text, unchanged
    assert reason_text(h.reason_code, "en", h.reason_detail) == en
    assert reason_text(h.reason_code, "vi", h.reason_detail) == vi


@pytest.mark.parametrize("code", sorted(LINK_REASONS))
def test_every_reason_has_both_languages(code: str) -> None:
    vi, en = reason_text(code, "vi", "x"), reason_text(code, "en", "x")
    assert vi and en and vi != en and "{" not in vi + en


@pytest.mark.parametrize(("code", "lang", "message"), [
    ("exploded", "en", "unknown link reason code"),
    ("up", "fr", "unknown language"),
])
def test_reason_text_rejects_unknown(code: str, lang: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        reason_text(code, lang, None)  # type: ignore[arg-type]

"""Propagation models against values worked out by hand from the published formulas."""

from __future__ import annotations

import math

import numpy as np
import pytest

from provnet.maps.errors import MapsError
from provnet.maps.propagation import LinkBudget, max_range_km, path_loss, sector_range_m

# f MHz, hb m, hm m, d km, environment, expected dB (hand: see the comment on each row)
CASES = [
    # Okumura-Hata urban 900/30/1.5 at 1 km = 126.40 (textbook value), suburban -9.94
    (900, 30, 1.5, 1.0, "suburban", 116.46),
    # rural: 126.40 - 4.78*2.954^2 + 18.33*2.954 - 40.94 = 97.90
    (900, 30, 1.5, 1.0, "rural", 97.90),
    # 5 km: + (44.9 - 6.55 log 30) log 5 = + 35.225 * 0.699 = 141.08
    (900, 30, 1.5, 5.0, "suburban", 141.08),
    # COST-231 1800/35/1.5 1 km: 46.3 + 110.35 - 21.34 - a(0.0436)... suburban = 123.33
    (1800, 35, 1.5, 1.0, "suburban", 123.33),
    # rural at 2 km: + 34.79 * log 2
    (1800, 35, 1.5, 2.0, "rural", 113.82),
    # 3.5 GHz: COST-231 at 2000 MHz + 6 log(3500/2000) = +1.458 dB, suburban = 126.93
    (3500, 30, 1.5, 1.0, "suburban", 126.93),
]


@pytest.mark.parametrize(("f", "hb", "hm", "d", "env", "expected"), CASES)
def test_path_loss_matches_hand_values(f: float, hb: float, hm: float, d: float, env: str,
                                       expected: float) -> None:
    assert float(path_loss(d, f, hb, hm, env)) == pytest.approx(expected, abs=0.01)  # type: ignore[arg-type]


@pytest.mark.parametrize(("f", "hb", "env"), [(700, 25, "rural"), (1800, 40, "suburban"),
                                              (2600, 30, "suburban"), (3500, 45, "rural")])
def test_range_inverts_path_loss(f: float, hb: float, env: str) -> None:
    d = float(max_range_km(130.0, f, hb, 1.5, env))  # type: ignore[arg-type]
    assert float(path_loss(d, f, hb, 1.5, env)) == pytest.approx(130.0, abs=1e-9)  # type: ignore[arg-type]


def test_sector_range_for_4g_rsrp_threshold() -> None:
    # 46 dBm + 17 dBi - 3 dB - 10 log 1200 RE = 29.21 dBm per RE; -110 dBm -> 139.21 dB.
    # (139.21 - 123.33) / 34.79 = 0.4563 decades -> 2.860 km
    budget = LinkBudget(threshold_dbm=-110, reference_offset_db=10 * math.log10(1200))
    r = sector_range_m(budget, [46.0], [1800], [35.0])
    assert r[0] == pytest.approx(2860.0, rel=1e-3)


def test_explicit_range_wins_and_clamps_apply() -> None:
    budget = LinkBudget(threshold_dbm=-110, max_range_m=5000.0, min_range_m=200.0)
    r = sector_range_m(budget, [46.0, 46.0, -50.0], [900, 900, 900], [30.0, 30.0, 30.0],
                       [1234.0, np.nan, None])  # type: ignore[list-item]
    assert r[0] == 1234.0
    assert r[1] == 5000.0  # huge budget, clamped
    assert r[2] == 200.0  # no budget at all, floor


def test_lower_threshold_and_rural_reach_further() -> None:
    strict = LinkBudget(threshold_dbm=-100)
    loose = LinkBudget(threshold_dbm=-110)
    rural = LinkBudget(threshold_dbm=-100, environment="rural")
    a, b, c = (sector_range_m(x, [30.0], [1800], [30.0])[0] for x in (strict, loose, rural))
    assert a < b and a < c


@pytest.mark.parametrize(("f", "hb", "env"), [(100, 30, "suburban"), (1800, 0, "suburban"),
                                              (1800, 30, "urbanish")])
def test_bad_inputs_raise(f: float, hb: float, env: str) -> None:
    with pytest.raises(MapsError):
        path_loss(1.0, f, hb, 1.5, env)  # type: ignore[arg-type]

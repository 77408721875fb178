"""Infill ranking on hand-made gaps."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import shapely

from provnet.config.settings import CoverageSettings
from provnet.maps.infill import hex_grid, new_site_range_m, suggest

X0, Y0 = 500_000.0, 1_150_000.0


def test_hex_grid_rows_are_offset_and_inside() -> None:
    sq = shapely.box(X0, Y0, X0 + 10_000, Y0 + 10_000)
    pts = hex_grid(sq, 1000.0)
    assert len(pts) > 100 and shapely.contains_xy(sq, pts[:, 0], pts[:, 1]).all()
    rows = sorted({round(y) for y in pts[:, 1]})
    assert rows[1] - rows[0] == pytest.approx(1000 * math.sqrt(3) / 2, abs=1)


def test_best_candidate_sits_in_the_big_gap_and_later_ranks_do_not_overlap() -> None:
    cfg = CoverageSettings()
    r = new_site_range_m(cfg, "4G")
    big = shapely.box(X0, Y0, X0 + 6 * r, Y0 + 6 * r)
    small = shapely.box(X0 + 10 * r, Y0, X0 + 10.5 * r, Y0 + 0.5 * r)
    gap = shapely.union_all([big, small])
    fibre = np.array([[X0 + 3 * r, Y0 + 3 * r]])
    out = suggest(gap, "4G", cfg, fibre, top_n=4)
    assert [s.rank for s in out] == [1, 2, 3, 4]
    first = out[0]
    # a full disc fits in the big square: it closes pi r^2 (5 degree polygon)
    assert first.closes_km2 == pytest.approx(math.pi * r**2 / 1e6, rel=0.005)
    assert first.closes_pct_of_gap == pytest.approx(100 * math.pi * r**2 / gap.area, abs=0.3)
    assert all(a.closes_km2 >= b.closes_km2 for a, b in itertools.pairwise(out))
    assert first.nearest_fibre_m is not None and first.nearest_fibre_m < 6 * r
    assert 104 < first.lon < 106 and 10 < first.lat < 11


def test_no_gap_no_suggestion() -> None:
    assert suggest(shapely.Polygon(), "4G", CoverageSettings()) == []


def test_sliver_gap_still_gets_a_candidate() -> None:
    sliver = shapely.box(X0, Y0, X0 + 5000, Y0 + 20)
    out = suggest(sliver, "5G", CoverageSettings(infill_spacing_m=1500))
    assert len(out) >= 1 and out[0].closes_km2 > 0

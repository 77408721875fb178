"""2025 units derived from legacy communes: whole parts, split parts, no parts."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from provnet.config.settings import CoverageSettings
from provnet.maps.aggregate import refresh_2025
from provnet.maps.cache import fibre_digests, settings_digest
from provnet.maps.coverage import refresh_generation
from provnet.maps.coverage_data import FibrePoints, NewUnit, Sectors, make_areas
from provnet.maps.crs import to_wgs84, utm_to_lonlat
from provnet.maps.engine import compute_all, prepare
from provnet.maps.geography import derive_2025, split_legacy

SQ = 4000.0


def _box(x: float) -> shapely.Polygon:
    return shapely.box(500_000 + x, 1_150_000, 500_000 + x + SQ, 1_150_000 + SQ)


def test_split_by_nearest_receiver_centre() -> None:
    parts = split_legacy(_box(0), [("A", (500_000 + 1000, 1_152_000)),
                                   ("B", (500_000 + 3000, 1_152_000))], "A")
    assert parts["A"].area == pytest.approx(SQ * SQ / 2) == parts["B"].area
    assert parts["A"].centroid.x < parts["B"].centroid.x


@pytest.mark.parametrize("receivers", [[("A", None), ("B", None)],
                                       [("A", (1.0, 1.0)), ("B", (1.0, 1.0))],
                                       [("A", (1.0, 1.0))]])
def test_split_falls_back_to_the_default(receivers: list) -> None:  # type: ignore[type-arg]
    assert list(split_legacy(_box(0), receivers, "B")) == ["B"]


def test_derive_2025_unions_whole_and_split_parts() -> None:
    legacy = make_areas(["L1", "L2", "L3"], ["Xã Một", "Xã Hai", "Xã Ba"], "legacy",
                        [to_wgs84(_box(i * SQ)) for i in range(3)])
    # L1 whole -> N1; L2 split between N1 and N2 (N2 default); L3 whole -> N2; N3 has no land
    c1 = utm_to_lonlat(500_000 + SQ + 1000, 1_152_000)
    c2 = utm_to_lonlat(500_000 + SQ + 3000, 1_152_000)
    units = [NewUnit("N1", "Phường Một", None, [("L1", True, True), ("L2", False, False)], c1),
             NewUnit("N2", "Phường Hai", None, [("L2", False, True), ("L3", True, True)], c2),
             NewUnit("N3", "Xã Đảo", None, [], None)]
    d = derive_2025(legacy, units)
    assert d.areas.codes == ["N1", "N2"] and d.without_geometry == ["N3"]
    assert d.derived == {"N1", "N2"}
    a = dict(zip(d.areas.codes, d.areas.geoms, strict=True))
    assert a["N1"].area == pytest.approx(1.5 * SQ * SQ, rel=1e-6)
    assert a["N2"].area == pytest.approx(1.5 * SQ * SQ, rel=1e-6)
    assert sum(d.areas.area_km2) == pytest.approx(sum(legacy.area_km2), rel=1e-6)
    assert d.areas.names[0] == "Phường Một"


def test_2025_statistics_from_legacy_parts_equal_a_direct_computation() -> None:
    legacy = make_areas(["L1", "L2", "L3"], ["Xã Một", "Xã Hai", "Xã Ba"], "legacy",
                        [to_wgs84(_box(i * SQ)) for i in range(3)])
    c1 = utm_to_lonlat(500_000 + SQ + 1000, 1_152_000)
    c2 = utm_to_lonlat(500_000 + SQ + 3000, 1_152_000)
    units = [NewUnit("N1", "Phường Một", None, [("L1", True, True), ("L2", False, False)], c1),
             NewUnit("N2", "Phường Hai", None, [("L2", False, True), ("L3", True, True)], c2)]
    d = derive_2025(legacy, units)
    xs = 500_000 + np.array([1500.0, 5200.0, 6100.0, 9000.0, 11_000.0])
    ys = 1_150_000 + np.array([2000.0, 1000.0, 3500.0, 2500.0, 1800.0])
    n = len(xs)
    sectors = Sectors(np.arange(1, n + 1), np.arange(1, n + 1),
                      np.array(["Viettel", "VinaPhone", "Viettel", "MobiFone", "VinaPhone"],
                               dtype=object),
                      np.array(["4G", "4G", "5G", "4G", "4G"], dtype=object),
                      np.full(n, 1800.0), np.array([0.0, 90.0, 200.0, 300.0, 45.0]),
                      np.array([65.0, 360.0, 120.0, 65.0, 90.0]), np.full(n, 30.0),
                      np.full(n, 46.0), np.array([2500.0, 1200.0, 1800.0, 3000.0, 2200.0]), xs, ys)
    fibre = FibrePoints(np.array([1, 2]), np.array(["VNPT", "FPT"], dtype=object),
                        np.array([500_000 + 3900.0, 500_000 + 8000.0]),
                        np.array([1_152_000.0, 1_151_000.0]))
    cfg = CoverageSettings()
    prep = prepare(sectors, fibre, cfg)
    digs = (prep.sectors.row_digests(), fibre_digests(prep), settings_digest(cfg))
    leg, _ = refresh_generation(prep, legacy, *digs, None)
    agg, n_new = refresh_2025(prep, d, leg, *digs, None)
    assert n_new == 2
    direct = compute_all(prep, d.areas)
    assert 0 < direct["N1"].by_technology["4G"]["any_pct"] < 100  # not a trivial case
    assert 0 < direct["N2"].by_technology["4G"]["one_pct"] < 100
    for code in ("N1", "N2"):
        a, b = agg.entries[code][1], direct[code]
        assert a.area_km2 == pytest.approx(b.area_km2)
        for op, techs in b.by_operator.items():
            for t, pct in techs.items():
                assert a.by_operator[op][t] == pytest.approx(pct, abs=0.01)
        for t, row in b.by_technology.items():
            for k, v in row.items():
                assert a.by_technology[t][k] == pytest.approx(v, abs=0.01)
        assert a.fibre_reach_pct == pytest.approx(b.fibre_reach_pct, abs=0.01)
        for key, g in b.coverage.items():
            assert a.coverage[key].area == pytest.approx(g.area, rel=1e-6)
    again, n_again = refresh_2025(prep, d, leg, *digs, agg)
    assert n_again == 0 and again is agg

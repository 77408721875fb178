"""Incremental recomputation: one BTS changes -> only the communes it touches are recomputed,
and the result equals a full recompute. Cache files round-trip."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import shapely

from provnet.config.settings import CoverageSettings
from provnet.maps.cache import Cached, CoverageCache, fibre_digests, settings_digest
from provnet.maps.coverage import refresh_generation
from provnet.maps.coverage_data import Sectors
from provnet.maps.engine import Prepared, prepare
from provnet.maps.synthetic_country import CountryInput, generate_country

CFG = CoverageSettings()


def _refresh(prep: Prepared, data: CountryInput, previous: Cached | None) -> tuple[Cached, int]:
    return refresh_generation(prep, data.areas, prep.sectors.row_digests(), fibre_digests(prep),
                              settings_digest(CFG), previous)


def _moved(sectors: Sectors, bts_id: int) -> Sectors:
    az = sectors.azimuth_deg.copy()
    rng = sectors.range_m.copy()
    sel = sectors.bts_id == bts_id
    az[sel] = (az[sel] + 40.0) % 360.0
    rng[sel] = 4000.0
    return dataclasses.replace(sectors, azimuth_deg=az, range_m=rng)


def _same(a: Cached, b: Cached) -> None:
    assert a.entries.keys() == b.entries.keys()
    for code, (fp, ra) in a.entries.items():
        fp_b, rb = b.entries[code]
        assert fp == fp_b
        assert ra.stats() == rb.stats()
        assert ra.coverage.keys() == rb.coverage.keys()
        for k, g in ra.coverage.items():
            assert shapely.equals(g, rb.coverage[k])
        for t, g in ra.gaps.items():
            assert shapely.equals(g, rb.gaps[t]) or (g.is_empty and rb.gaps[t].is_empty)


def test_one_bts_change_recomputes_only_touched_communes() -> None:
    data = generate_country(n_communes=60, n_sectors=3000, n_fibre=300, km2_per_commune=20)
    prep0 = prepare(data.sectors, data.fibre, CFG)
    first, n0 = _refresh(prep0, data, None)
    assert n0 == 60
    again, n_again = _refresh(prep0, data, first)
    assert n_again == 0 and again is first

    bts = int(data.sectors.bts_id[len(data.sectors) // 2])
    changed = dataclasses.replace(data, sectors=_moved(data.sectors, bts))
    prep1 = prepare(changed.sectors, changed.fibre, CFG)
    incremental, n1 = _refresh(prep1, changed, first)

    sel = np.flatnonzero(data.sectors.bts_id == bts)
    touched = set()
    for fp in [*prep0.footprints[sel], *prep1.footprints[sel]]:
        touched |= {data.areas.codes[i] for i in shapely.STRtree(data.areas.geoms)
                    .query(fp, predicate="intersects").tolist()}
    assert 0 < n1 == len(touched) < 60
    full, _ = _refresh(prep1, changed, None)
    _same(incremental, full)
    assert incremental.version == full.version != first.version


def test_cache_file_round_trip(tmp_path: Path) -> None:
    data = generate_country(n_communes=12, n_sectors=600, n_fibre=60, km2_per_commune=20)
    cached, _ = _refresh(prepare(data.sectors, data.fibre, CFG), data, None)
    store = CoverageCache(tmp_path / "coverage")
    assert store.load("legacy") is None
    store.save("legacy", cached)
    back = store.load("legacy")
    assert back is not None and back.version == cached.version
    _same(cached, back)

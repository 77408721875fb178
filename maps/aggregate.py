"""2025 statistics from legacy results: areas add up, so a unit made of whole legacy communes
needs no new overlay work.

Covered, exactly-one, gap and fibre-reach areas are measures over disjoint parts, so a unit's
percentage is the area-weighted mean of its parts' percentages (weights: geodesic km²), and its
polygons are the unions of its parts' polygons. Only pieces of split communes (and units with
their own boundary) are computed directly. A unit's fingerprint combines its parts'
fingerprints, so the cache and incremental recomputation work as for legacy communes.
"""

from __future__ import annotations

import datetime as dt
import hashlib

import shapely
from shapely import Geometry

from provnet.maps.cache import Cached, fingerprints, inventory_version
from provnet.maps.coverage_data import make_areas
from provnet.maps.crs import to_wgs84
from provnet.maps.engine import EMPTY, CommuneCoverage, Prepared, candidates, compute_many
from provnet.maps.geography import DerivedUnits, UnitParts


def _mean(w: list[float], values: list[float]) -> float:
    total = sum(w)
    return round(sum(wi * v for wi, v in zip(w, values, strict=True)) / total, 3) \
        if total > 0 else 0.0


def _tech_value(p: CommuneCoverage, t: str, k: str) -> float:
    if t in p.by_technology:
        return p.by_technology[t][k]
    return 100.0 if k == "none_pct" else 0.0  # no sector of t reaches this part


def _union(geoms: list[Geometry]) -> Geometry:
    geoms = [g for g in geoms if g is not None and not g.is_empty]
    return shapely.union_all(geoms) if geoms else EMPTY


def combine(code: str, name: str, area_km2: float, parts: list[CommuneCoverage]
            ) -> CommuneCoverage:
    """One 2025 unit from the coverage of its disjoint parts."""
    w = [p.area_km2 for p in parts]
    ops = sorted({op for p in parts for op in p.by_operator})
    techs = sorted({t for p in parts for t in p.by_technology})
    by_op = {op: {t: _mean(w, [p.by_operator.get(op, {}).get(t, 0.0) for p in parts])
                  for t in techs} for op in ops}
    by_tech = {t: {k: _mean(w, [_tech_value(p, t, k) for p in parts])
                   for k in ("any_pct", "one_pct", "none_pct")} for t in techs}
    coverage = {}
    for key in sorted({k for p in parts for k in p.coverage}):
        g = _union([p.coverage.get(key, EMPTY) for p in parts])
        if not g.is_empty:
            coverage[key] = g
    gaps = {t: _union([p.gaps.get(t, EMPTY) for p in parts]) for t in techs}
    return CommuneCoverage(code, name, "2025", area_km2, by_op, by_tech,
                           _mean(w, [p.fibre_reach_pct for p in parts]), coverage, gaps,
                           _union([p.fibre_reach for p in parts]))


def _unit_print(u: UnitParts, legacy: Cached, piece_prints: list[str]) -> str:
    h = hashlib.blake2b(digest_size=16)
    h.update(f"{u.code}|{u.name}|".encode())
    for c in u.whole:
        h.update(legacy.entries[c][0].encode() if c in legacy.entries else b"-")
    h.update(b"|pieces|")
    for p in piece_prints:
        h.update(p.encode())
    return h.hexdigest()


def refresh_2025(prep: Prepared, derived: DerivedUnits, legacy: Cached, sector_dig: list[bytes],
                 fibre_dig: list[bytes], cfg_dig: bytes, previous: Cached | None,
                 force: bool = False, workers: int = 1) -> tuple[Cached, int]:
    """2025 results from the legacy ones; recompute only units whose parts changed."""
    owner: list[int] = []
    piece_geoms: list[Geometry] = []
    for k, u in enumerate(derived.parts):
        owner.extend([k] * len(u.pieces))
        piece_geoms.extend(u.pieces)
    labels = [f"{derived.parts[k].code}#{j}" for j, k in enumerate(owner)]
    pieces = make_areas(labels, labels, "2025", [to_wgs84(g) for g in piece_geoms])
    sec, fib = candidates(prep, pieces)
    piece_prints = fingerprints(pieces, sec, fib, sector_dig, fibre_dig, cfg_dig)
    of_unit: list[list[int]] = [[] for _ in derived.parts]
    for j, k in enumerate(owner):
        of_unit[k].append(j)
    prints = [_unit_print(u, legacy, [piece_prints[j] for j in of_unit[k]])
              for k, u in enumerate(derived.parts)]
    old = previous.entries if previous and not force else {}
    todo = [k for k, u in enumerate(derived.parts)
            if u.code not in old or old[u.code][0] != prints[k]]
    need = [j for k in todo for j in of_unit[k]]
    computed = dict(zip(need, compute_many(prep, pieces, need, sec, fib, workers), strict=True))
    entries = {}
    todo_set = set(todo)
    for k, u in enumerate(derived.parts):
        if k in todo_set:
            parts = [legacy.entries[c][1] for c in u.whole if c in legacy.entries] \
                + [computed[j] for j in of_unit[k]]
            entries[u.code] = (prints[k], combine(u.code, u.name,
                                                  float(derived.areas.area_km2[k]), parts))
        else:
            entries[u.code] = old[u.code]
    version = inventory_version(prints)
    if previous is not None and previous.version == version and not todo:
        return previous, 0
    return Cached(version, dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), entries), \
        len(todo)

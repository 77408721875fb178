"""CoverageService: compute (incrementally, cached) and serve coverage of both generations.

Thread-safe: the service computes in a worker thread at start; readers wait for the first
result under a lock instead of getting an error.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from provnet.config.settings import Settings
from provnet.inventory.store import Store
from provnet.maps.aggregate import refresh_2025
from provnet.maps.cache import (
    Cached,
    CoverageCache,
    fibre_digests,
    fingerprints,
    inventory_version,
    settings_digest,
)
from provnet.maps.coverage_data import (
    Areas,
    load_fibre,
    load_legacy_areas,
    load_new_units,
    load_sectors,
)
from provnet.maps.engine import CommuneCoverage, Prepared, candidates, compute_many, prepare
from provnet.maps.geography import derive_2025
from provnet.maps.infill import Suggestion, suggest
from provnet.maps.io_export import feature_collection, layer_features

log = logging.getLogger(__name__)
GENERATIONS = ("legacy", "2025")
LAYER_CACHE_SIZE = 64  # GeoJSON documents kept per inventory version (province layers ~MBs)


@dataclass(frozen=True)
class RefreshStats:
    """What one refresh did, per generation."""

    recomputed: dict[str, int]
    reused: dict[str, int]
    seconds: float
    version: str


def refresh_generation(prep: Prepared, areas: Areas, sector_dig: list[bytes],
                       fibre_dig: list[bytes], cfg_dig: bytes, previous: Cached | None,
                       force: bool = False, workers: int = 1) -> tuple[Cached, int]:
    """Recompute the areas whose fingerprint changed; reuse the rest. Returns (new, recomputed)."""
    sec, fib = candidates(prep, areas)
    prints = fingerprints(areas, sec, fib, sector_dig, fibre_dig, cfg_dig)
    old = previous.entries if previous and not force else {}
    todo = [i for i, code in enumerate(areas.codes)
            if code not in old or old[code][0] != prints[i]]
    fresh = {r.code: r for r in compute_many(prep, areas, todo, sec, fib, workers)}
    entries = {code: (prints[i], fresh[code]) if code in fresh else old[code]
               for i, code in enumerate(areas.codes)}
    recomputed = len(todo)
    version = inventory_version(prints)
    if previous is not None and previous.version == version and recomputed == 0:
        return previous, 0
    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    return Cached(version, now, entries), recomputed


class CoverageService:
    """Coverage of every commune-level unit of both generations, from one inventory store."""

    def __init__(self, store: Store, settings: Settings, persist: bool = True) -> None:
        self.store = store
        self.cfg = settings.coverage
        self.cache = CoverageCache(settings.state_dir / "coverage") if persist else None
        self._results: dict[str, Cached] = {}
        self._areas: dict[str, Areas] = {}
        self._fibre_xy: np.ndarray = np.empty((0, 2))
        self._layer_cache: dict[tuple[object, ...], dict[str, Any]] = {}
        self._derived: set[str] = set()  # 2025 codes whose polygon comes from legacy parts
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self._infill_cache: dict[tuple[object, ...], list[dict[str, Any]]] = {}
        self._infill_lock = threading.Lock()
        self.last: RefreshStats | None = None

    def refresh(self, force: bool = False) -> RefreshStats:
        """Read the inventory, recompute what changed, persist. Safe to call from any thread."""
        with self._lock:
            t0 = time.perf_counter()
            with self.store.session() as s:
                sectors, fibre = load_sectors(s), load_fibre(s)
                legacy, new_units = load_legacy_areas(s), load_new_units(s)
            prep = prepare(sectors, fibre, self.cfg)
            sector_dig, fibre_dig = prep.sectors.row_digests(), fibre_digests(prep)
            cfg_dig = settings_digest(self.cfg)
            derived = derive_2025(legacy, new_units)
            areas = {"legacy": legacy, "2025": derived.areas}
            recomputed, reused = {}, {}
            for gen in GENERATIONS:
                previous = self._results.get(gen)
                if previous is None and self.cache is not None:
                    previous = self.cache.load(gen)
                if gen == "legacy":
                    cached, n = refresh_generation(prep, legacy, sector_dig, fibre_dig, cfg_dig,
                                                   previous, force, self.cfg.workers)
                else:
                    cached, n = refresh_2025(prep, derived, self._results["legacy"], sector_dig,
                                             fibre_dig, cfg_dig, previous, force,
                                             self.cfg.workers)
                if self.cache is not None and (n or previous is None
                                               or previous.version != cached.version):
                    self.cache.save(gen, cached)
                self._results[gen] = cached
                recomputed[gen], reused[gen] = n, len(cached.entries) - n
            self._areas = areas
            self._derived = derived.derived
            self._layer_cache.clear()
            self._fibre_xy = np.column_stack([fibre.x, fibre.y])
            self.last = RefreshStats(recomputed, reused, time.perf_counter() - t0,
                                     self._results["legacy"].version)
            self._ready.set()
            log.info("coverage: %s recomputed, %s reused in %.2f s", recomputed, reused,
                     self.last.seconds)
            return self.last

    def ensure(self) -> None:
        """Compute once if nothing has been computed yet (waits for a running refresh)."""
        if not self._ready.is_set():
            with self._lock:
                ready = self._ready.is_set()
            if not ready:
                self.refresh()

    def _cached(self, generation: str) -> Cached:
        self.ensure()
        return self._results[generation]

    def result(self, code: str, generation: str = "legacy") -> CommuneCoverage | None:
        """One unit's result with geometries (UTM)."""
        hit = self._cached(generation).entries.get(code)
        return hit[1] if hit else None

    def results(self, generation: str = "legacy") -> list[CommuneCoverage]:
        """Every unit's result of one generation."""
        return [r for _, r in self._cached(generation).entries.values()]

    def commune(self, code: str, generation: str = "legacy") -> dict[str, Any] | None:
        """The JSON statistics of one unit (None if unknown)."""
        c = self._cached(generation)
        hit = c.entries.get(code)
        if hit is None:
            return None
        return self._out(hit[1], c)

    def _out(self, r: CommuneCoverage, c: Cached) -> dict[str, Any]:
        return {**r.stats(), "computed_at": c.computed_at, "inventory_version": c.version,
                "boundary_derived": r.generation == "2025" and r.code in self._derived}

    def communes(self, generation: str = "legacy") -> list[dict[str, Any]]:
        """Statistics of every unit of one generation."""
        c = self._cached(generation)
        return [self._out(r, c) for _, r in c.entries.values()]

    def layers(self, code: str | None, technology: str | None = None,
               operator: str | None = None, generation: str = "legacy",
               kinds: tuple[str, ...] = ("coverage", "gap", "fibre_reach")) -> dict[str, Any]:
        """GeoJSON FeatureCollection (WGS84) of coverage, gap and fibre-reach layers."""
        key = (self._cached(generation).version, code, technology, operator, generation, kinds)
        hit = self._layer_cache.get(key)
        if hit is not None:
            return hit
        rows = self.results(generation) if code is None else \
            [r for r in [self.result(code, generation)] if r is not None]
        fc = feature_collection([f for r in rows
                                 for f in layer_features(r, technology, operator, kinds)])
        if len(self._layer_cache) >= LAYER_CACHE_SIZE:
            self._layer_cache.pop(next(iter(self._layer_cache)))
        self._layer_cache[key] = fc
        return fc

    def infill(self, code: str, technology: str, generation: str = "legacy",
               top_n: int | None = None) -> list[Suggestion] | None:
        """Ranked new-BTS positions closing the unit's ``technology`` gap (None if unknown)."""
        r = self.result(code, generation)
        if r is None:
            return None
        gap = r.gaps.get(technology)
        if gap is None:
            return []
        return suggest(gap, technology, self.cfg, self._fibre_xy, top_n)

    def infill_province(self, technology: str, generation: str = "legacy",
                        per_commune: int = 3) -> list[dict[str, Any]]:
        """Suggestions for every unit of a generation (``per_commune`` each), the largest
        closure first, each with its unit and a province-wide rank. Computed once per
        inventory version (seconds for 5G: the page loads it after drawing)."""
        key = (self._cached(generation).version, technology, generation, per_commune)
        with self._infill_lock:
            hit = self._infill_cache.get(key)
            if hit is not None:
                return hit
            rows: list[dict[str, Any]] = []
            for r in sorted(self.results(generation), key=lambda x: x.code):
                gap = r.gaps.get(technology)
                if gap is None or gap.is_empty:
                    continue
                for x in suggest(gap, technology, self.cfg, self._fibre_xy, per_commune):
                    rows.append({"commune": r.code, "commune_name": r.name,
                                 "technology": technology, **dataclasses.asdict(x)})
            rows.sort(key=lambda x: (-x["closes_km2"], x["commune"], x["rank"]))
            for i, row in enumerate(rows, 1):
                row["province_rank"] = i
            if len(self._infill_cache) >= 8:
                self._infill_cache.pop(next(iter(self._infill_cache)))
            self._infill_cache[key] = rows
            return rows

    def gaps(self, technology: str, code: str | None = None,
             generation: str = "legacy") -> dict[str, Any]:
        """GeoJSON of the gap polygons of one technology."""
        return self.layers(code, technology, None, generation, ("gap",))

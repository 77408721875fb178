"""Benchmark: coverage per commune, from scratch, for the demo province and a synthetic country.

1. Demo province: seeds An Giang in a temporary SQLite file (155 legacy communes, 2,200 BTS,
   11,613 sectors, 5,000 fibre points), then times ``CoverageService.refresh`` with an empty
   cache (read inventory, footprints, per-commune coverage/overlap/gaps/fibre reach for the
   legacy communes and the 2025 units), split by phase; then one incremental refresh after
   changing one BTS.
2. Synthetic country (``maps.synthetic_country``): 3,300 communes, 100,000 sectors, 50,000
   fibre points; times footprints + index + every commune (generation not timed).

Targets: province < 2 s, country < 60 s. The machine is shared: load averages are printed,
and CPU seconds (all threads) next to wall time, since wall time on a loaded box mostly
measures the other users.
Run from the repo root: ``.venv/bin/python bench/coverage.py [--workers N] [--skip-country]``.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT)]

from sqlalchemy import select, update  # noqa: E402

from provnet.config.settings import CoverageSettings, load_settings  # noqa: E402
from provnet.demo.seed import seed_demo  # noqa: E402
from provnet.inventory.model import Sector  # noqa: E402
from provnet.inventory.store import open_store  # noqa: E402
from provnet.maps.coverage import CoverageService  # noqa: E402
from provnet.maps.coverage_data import load_fibre, load_legacy_areas, load_sectors  # noqa: E402
from provnet.maps.engine import candidates, compute_many, prepare  # noqa: E402
from provnet.maps.synthetic_country import generate_country  # noqa: E402


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f}"


def province(workers: int) -> None:
    with tempfile.TemporaryDirectory() as d:
        store = open_store(f"sqlite:///{d}/inv.sqlite")
        seed_demo(store)
        cfg = CoverageSettings(workers=workers)
        c0 = time.process_time()
        t0 = time.perf_counter()
        with store.session() as s:
            sectors, fibre, areas = load_sectors(s), load_fibre(s), load_legacy_areas(s)
        t1 = time.perf_counter()
        prep = prepare(sectors, fibre, cfg)
        t2 = time.perf_counter()
        sec, fib = candidates(prep, areas)
        out = compute_many(prep, areas, list(range(len(areas.codes))), sec, fib, workers)
        t3 = time.perf_counter()
        cpu = time.process_time() - c0
        print(f"province legacy from scratch: {t3 - t0:.2f} s wall, {cpu:.2f} s CPU "
              f"(read {t1 - t0:.2f}, "
              f"footprints+index {t2 - t1:.2f}, {len(out)} communes {t3 - t2:.2f}); "
              f"{len(sectors)} sectors, {len(fibre)} fibre points  [{_load()}]")
        svc = CoverageService(store, load_settings(state_dir=Path(d), coverage=cfg))
        full = svc.refresh()
        print(f"province service refresh, both generations, empty cache: {full.seconds:.2f} s "
              f"recomputed {full.recomputed}  [{_load()}]")
        with store.session() as s:
            sid = s.scalars(select(Sector.id).order_by(Sector.id).limit(1)).one()
            s.execute(update(Sector).where(Sector.id == sid).values(azimuth_deg=77.0))
        inc = svc.refresh()
        print(f"province incremental after one sector change: {inc.seconds:.2f} s "
              f"recomputed {inc.recomputed} reused {inc.reused}  [{_load()}]")
        store.close()


def country(workers: int, n_communes: int, n_sectors: int) -> None:
    t0 = time.perf_counter()
    data = generate_country(n_communes, n_sectors)
    c1 = time.process_time()
    t1 = time.perf_counter()
    cfg = CoverageSettings(workers=workers)
    prep = prepare(data.sectors, data.fibre, cfg)
    t2 = time.perf_counter()
    sec, fib = candidates(prep, data.areas)
    out = compute_many(prep, data.areas, list(range(len(data.areas.codes))), sec, fib, workers)
    t3 = time.perf_counter()
    cpu = time.process_time() - c1
    print(f"country: {t3 - t1:.2f} s wall, {cpu:.2f} s CPU for {len(out)} communes, "
          f"{len(data.sectors)} sectors, "
          f"{len(data.fibre)} fibre points (footprints+index {t2 - t1:.2f}, communes "
          f"{t3 - t2:.2f}; generating the input took {t1 - t0:.2f} s, not counted)  [{_load()}]")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--skip-country", action="store_true")
    ap.add_argument("--communes", type=int, default=3300)
    ap.add_argument("--sectors", type=int, default=100_000)
    a = ap.parse_args()
    print(f"cpus {os.cpu_count()}, workers {a.workers}  [{_load()}]")
    province(a.workers)
    if not a.skip_country:
        country(a.workers, a.communes, a.sectors)


if __name__ == "__main__":
    main()

"""Inventory import at country scale: a synthetic Vietnam of 3,300 communes, 50,000 devices,
60,000 links (120,000 interfaces), 100,000 BTS with 300,000 sectors, as CSV files.

Prints: writing the files, reading and parsing them alone (the floor every import pays),
the import from scratch into an empty SQLite store (one transaction), a dry run of the same
files (nothing to do), a dry run of a 1 % change (1 % of devices, links and sectors edited),
and the peak resident memory. Targets (issue 11): import under 60 s, 1 % dry run under 15 s.
Run (a few minutes of CPU; ``--scale 0.1`` for a tenth):
    .venv/bin/python bench/inventory_import.py [--scale 1.0]
"""

from __future__ import annotations

import argparse
import csv
import resource
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path

from provnet.inventory.store import open_store
from provnet.inventory.transfer import describe, import_files, read_inputs


def _write(path: Path, header: str, rows: Iterable[tuple[object, ...]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header.split(","))
        w.writerows(rows)


def country(d: Path, scale: float, change: bool = False) -> dict[str, int]:
    """Write the synthetic country's CSV files into ``d`` (``change``: 1 % edited)."""
    n_com, n_dev = int(3300 * scale), int(50000 * scale)
    n_link, n_bts = int(60000 * scale), int(100000 * scale)
    provinces, districts = 63, max(1, int(700 * scale))
    d.mkdir(parents=True, exist_ok=True)
    units = [("legacy", "province", f"P{p:02d}", f"Tỉnh Số {p}", "") for p in range(provinces)]
    units += [("legacy", "district", f"D{i:04d}", f"Huyện Số {i}", f"P{i % provinces:02d}")
              for i in range(districts)]
    units += [("legacy", "commune", f"C{i:05d}", f"Xã Số {i}", f"D{i % districts:04d}")
              for i in range(n_com)]
    _write(d / "units.csv", "generation,level,code,name,parent", units)

    def edited(i: int) -> bool:
        return change and i % 100 == 7

    sites = [(f"S{i:06d}", f"Trạm {i}", "core" if i == 0 else "commune_office",
              10 + (i % 1000) / 100, 105 + (i // 1000) / 100, f"D{i % n_com % districts:04d}",
              f"C{i % n_com:05d}") for i in range(n_dev)]
    sites += [(f"B{i:06d}", f"BTS {i}", "bts", 10 + (i % 997) / 100, 105 + (i // 997) / 1000,
               "", f"C{i % n_com:05d}") for i in range(n_bts)]
    _write(d / "sites.csv", "code,name,kind,latitude,longitude,region,commune", sites)
    _write(d / "devices.csv", "name,site,role,manufacturer,platform,primary_ip4,snmp_profile",
           ((f"r{i:06d}", f"S{i:06d}", "router", "cisco",
             "ios-xe-17" if edited(i) else "ios-xe", f"10.{i // 65536}.{i // 256 % 256}.{i % 256}",
             "default") for i in range(n_dev)))
    # link k: device (k+1) % n_dev port uplink-k -> device (k+1)//2 ... a tree plus extras
    ends = [((k + 1) % n_dev, k // n_dev, (k + 1) // 2 % n_dev) for k in range(n_link)]
    ifaces = [(f"r{a:06d}", f"up{r}", 1000000) for a, r, _ in ends]
    ifaces += [(f"r{z:06d}", f"dn{k}", 1000000) for k, (_, _, z) in enumerate(ends)]
    _write(d / "interfaces.csv", "device,name,speed", ifaces)
    _write(d / "links.csv", "side_a_device,side_a_name,side_b_device,side_b_name,kind,"
           "commit_rate,provider,cid",
           ((f"r{a:06d}", f"up{r}", f"r{z:06d}", f"dn{k}", "fibre",
             10000000 if edited(k) else 1000000, "VNPT", f"CID{k:06d}")
            for k, (a, r, z) in enumerate(ends)))
    ops = ("Viettel", "VinaPhone", "MobiFone")
    _write(d / "bts.csv", "site,operator,sector,technology,band_mhz,azimuth_deg,beamwidth_deg,"
           "height_m", ((f"B{i:06d}", ops[i % 3], s + 1, "4G", 1800,
                         s * 120 + (5 if edited(i * 3 + s) else 0), 65, 30)
                        for i in range(n_bts) for s in range(3)))
    return {"sites": len(sites), "devices": n_dev, "interfaces": len(ifaces), "links": n_link,
            "sectors": n_bts * 3}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--scale", type=float, default=1.0)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="provnet-bench-inv-") as tmp:
        base = Path(tmp)
        t = time.perf_counter()
        sizes = country(base / "v1", args.scale)
        country(base / "v2", args.scale, change=True)
        print(f"files written in {time.perf_counter() - t:.1f} s: "
              + ", ".join(f"{v:,} {k}" for k, v in sizes.items()))
        t = time.perf_counter()
        rows, issues = read_inputs([base / "v1"])
        print(f"read and parse only (floor): {len(rows):,} rows in "
              f"{time.perf_counter() - t:.1f} s")
        del rows, issues
        store = open_store(f"sqlite:///{base / 'inv.sqlite'}")
        t = time.perf_counter()
        plan = import_files(store, [base / "v1"])
        t_import = time.perf_counter() - t
        assert plan.ok, plan.issues[:5]
        print(f"import from scratch (one transaction): {t_import:.1f} s (target < 60 s)")
        t = time.perf_counter()
        same = import_files(store, [base / "v1"], dry_run=True)
        print(f"dry run, nothing changed: {time.perf_counter() - t:.1f} s "
              f"({'no change' if not any(same.diff.values()) else 'CHANGES?'})")
        t = time.perf_counter()
        dry = import_files(store, [base / "v2"], dry_run=True)
        t_dry = time.perf_counter() - t
        print(f"dry run of a 1 % change: {t_dry:.1f} s (target < 15 s)")
        for line in describe(dry, verbose=False):
            print("   ", line)
        store.close()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory: {peak:,.0f} MiB")


if __name__ == "__main__":
    main()

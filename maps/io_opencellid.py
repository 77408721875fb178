"""OpenCelliD CSV import (MCC 452, Vietnam) -> BTS sites, one omni sector per cell.

Columns: ``radio,mcc,net,area,cell,unit,lon,lat,range,samples,changeable,created,updated,
averageSignal`` (the header line is optional: the per-country dumps have none). OpenCelliD
gives a measured position and a ``range`` (metres) per cell but no azimuth, so each cell
becomes an omni sector whose explicit range is OpenCelliD's (0 = let the model decide).
Rows of other countries are skipped and counted. Parsing is pure; a malformed row raises
:class:`~maps.errors.ImportFormatError` naming the line and nothing is written. Writing
replaces every site previously imported from OpenCelliD (codes ``OCID-...``) in one
transaction, so re-importing a newer dump is idempotent.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import shapely
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from provnet.inventory.model import AdminUnit, Bts, Sector, Site
from provnet.inventory.search import fold
from provnet.maps.errors import ImportFormatError

COLUMNS = ("radio", "mcc", "net", "area", "cell", "unit", "lon", "lat", "range", "samples",
           "changeable", "created", "updated", "averageSignal")
VIETNAM_MCC = 452
# MNC -> operator for 452. 08 = Indochina Telecom (I-Telecom/iTel) follows a public PLMN table
# and is NOT confirmed against the ITU E.212 list: override with ``--mnc 8=NAME`` if needed.
OPERATORS = {1: "MobiFone", 2: "VinaPhone", 4: "Viettel", 5: "Vietnamobile", 7: "Gmobile",
             8: "I-Telecom"}
RADIO = {"GSM": ("2G", 900), "UMTS": ("3G", 2100), "CDMA": ("3G", 850), "LTE": ("4G", 1800),
         "NR": ("5G", 3500)}
SITE_PREFIX = "OCID-"
DEFAULT_HEIGHT_M = 30.0


@dataclass(frozen=True)
class Cell:
    """One OpenCelliD cell of MCC 452."""

    line: int
    radio: str
    net: int
    area: int
    cell: int
    lon: float
    lat: float
    range_m: int
    samples: int
    operator: str  # from the MNC; unknown MNCs read as "452-NN"


@dataclass(frozen=True)
class Parsed:
    """Cells of Vietnam, how many rows of other countries were skipped, and how many rows
    repeated a cell already read (radio, MNC, area, cell id): the last one is kept."""

    cells: list[Cell]
    skipped_other_mcc: int
    duplicates: int = 0


def _int(source: str, line: int, name: str, text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ImportFormatError(source, f"line {line}", f"{name} is not an integer: "
                                                        f"{text!r}") from None


def _float(source: str, line: int, name: str, text: str, lo: float, hi: float) -> float:
    try:
        v = float(text)
    except ValueError:
        raise ImportFormatError(source, f"line {line}",
                                f"{name} is not a number: {text!r}") from None
    if not lo <= v <= hi:
        raise ImportFormatError(source, f"line {line}", f"{name} {v} outside [{lo}, {hi}]")
    return v


def parse_row(source: str, line: int, row: list[str],
              operators: Mapping[int, str] = OPERATORS) -> Cell | None:
    """One CSV row -> Cell (None for another country); raises naming the line."""
    if len(row) != len(COLUMNS):
        raise ImportFormatError(source, f"line {line}",
                                f"expected {len(COLUMNS)} columns, got {len(row)}")
    radio = row[0].strip().upper()
    if radio not in RADIO:
        raise ImportFormatError(source, f"line {line}", f"unknown radio {row[0]!r} "
                                                        f"(expected {', '.join(RADIO)})")
    mcc = _int(source, line, "mcc", row[1])
    vals = {n: _int(source, line, n, row[i]) for i, n in ((2, "net"), (3, "area"), (4, "cell"),
                                                          (8, "range"), (9, "samples"))}
    lon = _float(source, line, "lon", row[6], -180.0, 180.0)
    lat = _float(source, line, "lat", row[7], -90.0, 90.0)
    if vals["range"] < 0:
        raise ImportFormatError(source, f"line {line}", f"negative range {vals['range']}")
    if mcc != VIETNAM_MCC:
        return None
    return Cell(line, radio, vals["net"], vals["area"], vals["cell"], lon, lat, vals["range"],
                vals["samples"], operators.get(vals["net"], f"452-{vals['net']:02d}"))


def parse_opencellid(lines: Iterable[str], source: str = "opencellid.csv",
                     operators: Mapping[int, str] = OPERATORS) -> Parsed:
    """Parse a whole file; any malformed row aborts with its line number."""
    cells: dict[tuple[str, int, int, int], Cell] = {}
    skipped = duplicates = 0
    reader = csv.reader(lines)
    n = 0
    try:
        for n, row in enumerate(reader, start=1):
            if n == 1 and row:
                row[0] = row[0].lstrip("\ufeff")  # Excel's "CSV UTF-8" starts with a BOM
            if not row or (n == 1 and row[0].strip().lower() == "radio"):
                continue
            cell = parse_row(source, n, row, operators)
            if cell is None:
                skipped += 1
                continue
            key = (cell.radio, cell.net, cell.area, cell.cell)
            duplicates += key in cells
            cells.pop(key, None)
            cells[key] = cell
    except csv.Error as exc:  # NUL bytes and the like: not a CSV file
        raise ImportFormatError(source, f"line {n + 1}", f"not a CSV file: {exc}") from exc
    return Parsed(list(cells.values()), skipped, duplicates)


def _commune_ids(s: Session, lon: np.ndarray, lat: np.ndarray) -> list[int | None]:
    rows = s.execute(select(AdminUnit.id, AdminUnit.boundary_wkt).where(
        AdminUnit.generation == "legacy", AdminUnit.level == "commune",
        AdminUnit.boundary_wkt.is_not(None))).all()
    out: list[int | None] = [None] * len(lon)
    if not rows or not len(lon):
        return out
    tree = shapely.STRtree(shapely.from_wkt([r[1] for r in rows]))
    pts, polys = tree.query(shapely.points(lon, lat), predicate="within")
    for p, q in zip(pts.tolist(), polys.tolist(), strict=True):
        out[p] = rows[q][0]
    return out


def write_cells(s: Session, cells: list[Cell]) -> dict[str, int]:
    """Replace previously imported OpenCelliD sites by these cells (caller commits).

    No cells: nothing is replaced (an empty or header-only file never deletes)."""
    if not cells:
        return {"sites": 0, "bts": 0, "sectors": 0}
    old_sites = select(Site.id).where(Site.code.startswith(SITE_PREFIX))
    old_bts = select(Bts.id).where(Bts.site_id.in_(old_sites))
    s.execute(delete(Sector).where(Sector.bts_id.in_(old_bts)))
    s.execute(delete(Bts).where(Bts.site_id.in_(old_sites)))
    s.execute(delete(Site).where(Site.code.startswith(SITE_PREFIX)))
    by_site: dict[tuple[float, float], list[Cell]] = {}
    for c in cells:  # cells within ~10 m are one site
        by_site.setdefault((round(c.lon, 4), round(c.lat, 4)), []).append(c)
    keys = list(by_site)
    communes = _commune_ids(s, np.array([k[0] for k in keys]), np.array([k[1] for k in keys]))
    sites = []
    for (lon, lat), commune_id in zip(keys, communes, strict=True):
        name = f"Trạm OpenCelliD {lat:.4f}, {lon:.4f}"
        sites.append(Site(code=f"{SITE_PREFIX}{lat:.4f}-{lon:.4f}", name=name,
                          name_folded=fold(name), kind="bts", lat=lat, lon=lon,
                          location_synthetic=False, commune_id=commune_id))
    s.add_all(sites)
    s.flush()  # ids for the BTS rows
    bts: dict[tuple[int, str], Bts] = {}
    for site, key in zip(sites, keys, strict=True):
        for c in by_site[key]:
            bts.setdefault((site.id, c.operator), Bts(site_id=site.id, operator=c.operator))
    s.add_all(bts.values())
    s.flush()
    for site, key in zip(sites, keys, strict=True):
        for c in by_site[key]:
            tech, band = RADIO[c.radio]
            s.add(Sector(bts_id=bts[(site.id, c.operator)].id, technology=tech, band_mhz=band,
                         azimuth_deg=0.0, beamwidth_deg=360.0, height_m=DEFAULT_HEIGHT_M,
                         power_dbm=None, range_m=float(c.range_m) if c.range_m > 0 else None))
    s.flush()
    return {"sites": len(sites), "bts": len(bts), "sectors": len(cells)}

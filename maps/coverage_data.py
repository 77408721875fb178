"""What the coverage engine reads: sectors, fibre points and commune boundaries as columns.

Reading is one SQL query per table (no ORM objects: 100,000 sectors load in well under a
second); geometry is projected to UTM 48N once, here.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely
from pyproj import Transformer
from sqlalchemy import select
from sqlalchemy.orm import Session

from provnet.inventory.model import AdminUnit, AdminUnitMapping, Bts, FibrePoint, Sector, Site
from provnet.maps.crs import UTM48N, WGS84, geodesic_area_km2, to_utm
from provnet.maps.errors import MapsError
from provnet.maps.propagation import MAX_MHZ, MIN_MHZ

FloatArray = npt.NDArray[np.float64]
ObjArray = npt.NDArray[np.object_]
_TO_UTM = Transformer.from_crs(WGS84, UTM48N, always_xy=True)


def lonlat_arrays_to_utm(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Many points, WGS84 -> UTM 48N, in one call."""
    x, y = _TO_UTM.transform(lon, lat)
    return np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)


@dataclass(frozen=True)
class Sectors:
    """One row per sector, columns as arrays; ``x``/``y`` in UTM metres."""

    sector_id: npt.NDArray[np.int64]
    bts_id: npt.NDArray[np.int64]
    operator: ObjArray
    technology: ObjArray
    band_mhz: FloatArray
    azimuth_deg: FloatArray
    beamwidth_deg: FloatArray
    height_m: FloatArray
    power_dbm: FloatArray  # nan = unknown
    range_m: FloatArray  # nan = compute from the propagation model
    x: FloatArray
    y: FloatArray

    def __len__(self) -> int:
        return len(self.sector_id)

    def take(self, mask: npt.NDArray[np.bool_]) -> Sectors:
        """The rows where ``mask`` is true."""
        return Sectors(*(getattr(self, f.name)[mask] for f in fields(self)))

    def usable(self) -> npt.NDArray[np.bool_]:
        """Rows a footprint can be computed for (band in the models' range, sane geometry)."""
        with np.errstate(invalid="ignore"):
            return np.asarray(
                (self.band_mhz >= MIN_MHZ) & (self.band_mhz <= MAX_MHZ) & (self.height_m > 0)
                & np.isfinite(self.azimuth_deg) & (self.beamwidth_deg > 0)
                & np.isfinite(self.x) & np.isfinite(self.y), dtype=bool)

    def row_digests(self) -> list[bytes]:
        """One digest per sector over every field the footprint depends on."""
        cols = (self.sector_id, self.operator, self.technology, self.band_mhz, self.azimuth_deg,
                self.beamwidth_deg, self.height_m, self.power_dbm, self.range_m,
                np.round(self.x, 2), np.round(self.y, 2))
        return [hashlib.blake2b(repr(row).encode(), digest_size=12).digest()
                for row in zip(*(c.tolist() for c in cols), strict=True)]


@dataclass(frozen=True)
class FibrePoints:
    """Fibre access points in UTM metres."""

    fibre_id: npt.NDArray[np.int64]
    operator: ObjArray
    x: FloatArray
    y: FloatArray

    def __len__(self) -> int:
        return len(self.fibre_id)


@dataclass(frozen=True)
class Areas:
    """Commune-level units of one generation with polygons in UTM (index = position)."""

    codes: list[str]
    names: list[str]
    generation: str
    geoms: ObjArray  # UTM polygons
    area_km2: FloatArray  # geodesic
    wkb_digests: list[bytes] = field(default_factory=list)

    def index(self) -> dict[str, int]:
        """Code -> position."""
        return {c: i for i, c in enumerate(self.codes)}


def make_areas(codes: list[str], names: list[str], generation: str,
               geoms_wgs84: Iterable[shapely.Geometry]) -> Areas:
    """Project boundaries, measure them on the ellipsoid, fingerprint them."""
    wgs = list(geoms_wgs84)
    utm = np.array([shapely.make_valid(to_utm(g)) for g in wgs], dtype=object)
    areas = np.array([geodesic_area_km2(g) for g in wgs], dtype=np.float64)
    digests = [hashlib.blake2b(shapely.to_wkb(g), digest_size=12).digest() for g in wgs]
    return Areas(codes, names, generation, utm, areas, digests)


def load_sectors(s: Session) -> Sectors:
    """Every sector with its BTS operator and site position."""
    rows = s.execute(
        select(Sector.id, Sector.bts_id, Bts.operator, Sector.technology, Sector.band_mhz,
               Sector.azimuth_deg, Sector.beamwidth_deg, Sector.height_m, Sector.power_dbm,
               Sector.range_m, Site.lon, Site.lat)
        .join(Bts, Sector.bts_id == Bts.id).join(Site, Bts.site_id == Site.id)
        .order_by(Sector.id)).all()
    return sectors_from_rows(rows)


def sectors_from_rows(rows: Sequence[Sequence[Any]]) -> Sectors:
    """Columns from (id, bts_id, operator, tech, band, az, bw, height, power, range, lon, lat)."""
    cols = list(zip(*rows, strict=True)) if rows else [()] * 12

    def f(i: int) -> FloatArray:
        return np.array([np.nan if v is None else v for v in cols[i]], dtype=np.float64)

    x, y = lonlat_arrays_to_utm(f(10), f(11))
    return Sectors(np.array(cols[0], dtype=np.int64), np.array(cols[1], dtype=np.int64),
                   np.array(cols[2], dtype=object), np.array(cols[3], dtype=object),
                   f(4), f(5), f(6), f(7), f(8), f(9), x, y)


def load_fibre(s: Session) -> FibrePoints:
    """Every fibre point with its site position."""
    rows = s.execute(select(FibrePoint.id, FibrePoint.operator, Site.lon, Site.lat)
                     .join(Site, FibrePoint.site_id == Site.id).order_by(FibrePoint.id)).all()
    cols = list(zip(*rows, strict=True)) if rows else [()] * 4
    x, y = lonlat_arrays_to_utm(np.array(cols[2], dtype=np.float64),
                                np.array(cols[3], dtype=np.float64))
    return FibrePoints(np.array(cols[0], dtype=np.int64), np.array(cols[1], dtype=object), x, y)


def load_legacy_areas(s: Session) -> Areas:
    """Legacy commune-level units that have a boundary."""
    rows = s.execute(select(AdminUnit.code, AdminUnit.name, AdminUnit.boundary_wkt)
                     .where(AdminUnit.generation == "legacy", AdminUnit.level == "commune",
                            AdminUnit.boundary_wkt.is_not(None))
                     .order_by(AdminUnit.code)).all()
    try:
        geoms = shapely.from_wkt([r[2] for r in rows])
    except shapely.errors.GEOSException as exc:
        raise MapsError(f"unreadable commune boundary: {exc}") from exc
    return make_areas([r[0] for r in rows], [r[1] for r in rows], "legacy", geoms)


@dataclass(frozen=True)
class NewUnit:
    """A 2025 unit and the legacy communes it took land from."""

    code: str
    name: str
    boundary_wkt: str | None
    parts: list[tuple[str, bool, bool]]  # (legacy code, whole, is_default)
    centroid_lonlat: tuple[float, float] | None


def load_new_units(s: Session) -> list[NewUnit]:
    """2025 commune-level units with their mapping rows (units without any mapping included)."""
    units = s.execute(select(AdminUnit.id, AdminUnit.code, AdminUnit.name, AdminUnit.boundary_wkt,
                             AdminUnit.lon, AdminUnit.lat)
                      .where(AdminUnit.generation == "2025", AdminUnit.level == "commune")
                      .order_by(AdminUnit.code)).all()
    old = {r[0]: r[1] for r in s.execute(select(AdminUnit.id, AdminUnit.code)
                                         .where(AdminUnit.generation == "legacy"))}
    parts: dict[int, list[tuple[str, bool, bool]]] = {}
    for m in s.execute(select(AdminUnitMapping.old_unit_id, AdminUnitMapping.new_unit_id,
                              AdminUnitMapping.whole, AdminUnitMapping.is_default)):
        if m[0] in old:
            parts.setdefault(m[1], []).append((old[m[0]], bool(m[2]), bool(m[3])))
    return [NewUnit(u[1], u[2], u[3], sorted(parts.get(u[0], [])),
                    (float(u[4]), float(u[5])) if u[4] is not None and u[5] is not None
                    else None) for u in units]

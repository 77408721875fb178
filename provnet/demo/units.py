"""Real administrative units of An Giang from ``vietnamadminunits`` (offline data only).

Legacy generation: province code 89, 11 districts, 155 communes (valid until 2025-06-30).
2025 generation: the merged An Giang (code 91, 102 commune-level units, from 2025-07-01).
The old-to-new mapping comes from the package's ``converter_2025.json``; the package's
``convert_address()`` is never called (it may geocode over the internet).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from importlib import resources
from typing import Any

from vietnamadminunits.database import query

LEGACY_PROVINCE = "89"
NEW_PROVINCE = "91"
REFORM_DAY = dt.date(2025, 7, 1)
LEGACY_END = REFORM_DAY - dt.timedelta(days=1)


@dataclass(frozen=True)
class Unit:
    """One unit as read from the package."""

    generation: str
    level: str
    code: str
    name: str
    short_name: str
    unit_type: str
    key: str
    parent_code: str | None
    lat: float
    lon: float
    area_km2: float | None = None


@dataclass(frozen=True)
class Mapping:
    """Legacy commune code -> 2025 ward code."""

    old_code: str
    new_code: str
    whole: bool
    is_default: bool


@dataclass(frozen=True)
class Units:
    """Both generations and the mapping between them."""

    legacy_province: Unit
    districts: list[Unit]
    communes: list[Unit]
    new_province: Unit
    wards_2025: list[Unit]
    mapping: list[Mapping]
    province_bounds: tuple[float, float, float, float]  # lon_min, lat_min, lon_max, lat_max


def _bounds(text: str) -> tuple[float, float, float, float]:
    (lat1, lon1), (lat2, lon2) = (tuple(map(float, part.split(","))) for part in text.split("–"))
    return min(lon1, lon2), min(lat1, lat2), max(lon1, lon2), max(lat1, lat2)


def _legacy(rows: list[dict[str, Any]]) -> tuple[Unit, list[Unit], list[Unit]]:
    r0 = rows[0]
    province = Unit("legacy", "province", r0["provinceCode"], r0["province"], r0["provinceShort"],
                    "Tỉnh", r0["provinceKey"], None, r0["provinceLat"], r0["provinceLon"])
    districts: dict[str, Unit] = {}
    communes: list[Unit] = []
    for r in rows:
        districts.setdefault(r["districtCode"], Unit(
            "legacy", "district", r["districtCode"], r["district"], r["districtShort"],
            r["districtType"], r["districtKey"], province.code, r["districtLat"], r["districtLon"]))
        communes.append(Unit(
            "legacy", "commune", r["wardCode"], r["ward"], r["wardShort"], r["wardType"],
            f'{r["provinceKey"]}_{r["districtKey"]}_{r["wardKey"]}', r["districtCode"],
            r["wardLat"], r["wardLon"]))
    return province, sorted(districts.values(), key=lambda u: u.code), communes


def _new(rows: list[dict[str, Any]]) -> tuple[Unit, list[Unit]]:
    r0 = rows[0]
    province = Unit("2025", "province", r0["provinceCode"], r0["province"], r0["provinceShort"],
                    "Tỉnh", r0["provinceKey"], None, r0["provinceLat"], r0["provinceLon"])
    wards = [Unit("2025", "commune", r["wardCode"], r["ward"], r["wardShort"], r["wardType"],
                  r["wardKey"], province.code, r["wardLat"], r["wardLon"], r["wardAreaKm2"])
             for r in rows]
    return province, wards


def _mapping(province_key: str, communes: list[Unit], wards: list[Unit]) -> list[Mapping]:
    conv = json.loads(resources.files("vietnamadminunits").joinpath(
        "data/converter_2025.json").read_text(encoding="utf-8"))
    ward_by_key = {w.key: w for w in wards}
    legacy_keys = {c.key: c for c in communes}
    out: list[Mapping] = []
    for new_key, olds in conv["DICT_PROVINCE_WARD_NO_DIVIDED"].get(province_key, {}).items():
        for old in olds:
            if old in legacy_keys and new_key in ward_by_key:
                out.append(Mapping(legacy_keys[old].code, ward_by_key[new_key].code, True, True))
    for old, options in conv["DICT_PROVINCE_WARD_DIVIDED"].get(province_key, {}).items():
        if old not in legacy_keys:
            continue
        for opt in options:
            if opt["newWardKey"] in ward_by_key:
                out.append(Mapping(legacy_keys[old].code, ward_by_key[opt["newWardKey"]].code,
                                   False, bool(opt["isDefaultNewWard"])))
    return out


def load_an_giang() -> Units:
    """Read An Giang's units of both generations and the mapping."""
    legacy_rows = query(
        f"SELECT * FROM admin_units_legacy WHERE provinceCode = '{LEGACY_PROVINCE}' "
        "ORDER BY districtCode, wardCode")
    new_rows = query(
        f"SELECT * FROM admin_units WHERE provinceCode = '{NEW_PROVINCE}' ORDER BY wardCode")
    province, districts, communes = _legacy(legacy_rows)
    new_province, wards = _new(new_rows)
    return Units(province, districts, communes, new_province, wards,
                 _mapping(new_province.key, communes, wards),
                 _bounds(legacy_rows[0]["provinceBounds"]))

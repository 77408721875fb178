"""Administrative units of any province from ``vietnamadminunits`` (offline data), as import
rows: ``provnet inventory units --province CODE [--generation legacy|2025]``."""

from __future__ import annotations

from vietnamadminunits.database import query

from provnet.demo.units import LEGACY_END, REFORM_DAY, Unit, _legacy, _new
from provnet.inventory.io_spec import Row

SOURCE = "vietnamadminunits"


def _row(u: Unit, line: int) -> Row:
    legacy = u.generation == "legacy"
    values = {"generation": u.generation, "level": u.level, "code": u.code, "name": u.name,
              "parent": u.parent_code or "",
              "valid_from": "" if legacy else REFORM_DAY.isoformat(),
              "valid_to": LEGACY_END.isoformat() if legacy else "",
              "latitude": repr(float(u.lat)), "longitude": repr(float(u.lon)),
              "area_km2": "" if u.area_km2 is None else repr(float(u.area_km2)),
              "boundary_synthetic": "false", "boundary_wkt": ""}
    return Row("units", SOURCE, line, values)


def unit_rows(province: str, generation: str) -> list[Row]:
    """The province's units of one generation; LookupError when the code is unknown."""
    code = province.strip().zfill(2)
    if not code.isdigit():
        raise LookupError(f"province code {province!r} is not a number (e.g. 89)")
    if generation == "legacy":
        rows = query("SELECT * FROM admin_units_legacy WHERE provinceCode = "
                     f"'{code}' ORDER BY districtCode, wardCode")
        if not rows:
            raise LookupError(f"no legacy province with code {code}")
        prov, districts, communes = _legacy(rows)
        units = [prov, *districts, *communes]
    else:
        rows = query(f"SELECT * FROM admin_units WHERE provinceCode = '{code}' ORDER BY wardCode")
        if not rows:
            raise LookupError(f"no 2025 province with code {code}")
        prov, wards = _new(rows)
        units = [prov, *wards]
    return [_row(u, i) for i, u in enumerate(units, 1)]

"""The planner report pack: coverage per commune and operator as rows, CSV and XLSX.

Pure builders over the coverage statistics the API serves (``CoverageService.communes``), so
a file and the API can never disagree: every percentage goes through
:func:`provnet.maps.classes.shown` (0.1 %, as the pages show it). CSV is UTF-8 with a BOM
(Excel opens Vietnamese names correctly); XLSX is written with openpyxl.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from openpyxl import Workbook

from provnet.maps.classes import shown
from provnet.maps.labels import labels

LONG_KEYS = ("generation", "commune_code", "commune_name", "district", "area_km2",
             "technology", "operator", "coverage_pct", "single_operator_pct", "gap_pct")
INFILL_KEYS = ("province_rank", "commune", "commune_name", "technology", "rank", "lon", "lat",
               "range_m", "closes_km2", "closes_pct_of_gap", "nearest_fibre_m")
ALL = "*"  # the operator column of the "at least one operator" rows


def long_rows(stats: Iterable[Mapping[str, Any]], districts: Mapping[str, str | None],
              lang: str = "vi") -> list[dict[str, Any]]:
    """One row per commune x technology for all operators (covered / only one / gap), one
    per commune x operator x technology, and one for fibre reach; sorted by commune code."""
    t = labels(lang)
    out: list[dict[str, Any]] = []
    for s in sorted(stats, key=lambda x: str(x["code"])):
        base = {"generation": s["generation"], "commune_code": s["code"],
                "commune_name": s["name"], "district": districts.get(s["code"]) or "",
                "area_km2": round(float(s["area_km2"]), 2)}
        for tech, v in sorted((s.get("by_technology") or {}).items()):
            out.append({**base, "technology": tech, "operator": t["all_operators"],
                        "coverage_pct": shown(v["any_pct"]),
                        "single_operator_pct": shown(v["one_pct"]),
                        "gap_pct": shown(v["none_pct"])})
            for op, per in sorted((s.get("by_operator") or {}).items()):
                out.append({**base, "technology": tech, "operator": op,
                            "coverage_pct": shown(per.get(tech, 0.0)),
                            "single_operator_pct": None, "gap_pct": None})
        out.append({**base, "technology": t["fibre_tech"], "operator": t["all_operators"],
                    "coverage_pct": shown(s.get("fibre_reach_pct")),
                    "single_operator_pct": None, "gap_pct": None})
    return out


def wide_rows(stats: Iterable[Mapping[str, Any]], districts: Mapping[str, str | None]
              ) -> tuple[list[str], list[list[Any]]]:
    """One row per commune: (column keys, rows); per technology covered / only one / gap."""
    rows = sorted(stats, key=lambda x: str(x["code"]))
    techs = sorted({k for s in rows for k in (s.get("by_technology") or {})})
    keys = ["commune_code", "commune_name", "district", "area_km2"]
    keys += [f"{tech}_{k}" for tech in techs for k in ("any", "one", "none")] + ["fibre"]
    out = []
    for s in rows:
        line: list[Any] = [s["code"], s["name"], districts.get(s["code"]) or "",
                           round(float(s["area_km2"]), 2)]
        for tech in techs:
            v = (s.get("by_technology") or {}).get(tech)
            line += [shown(v[f"{k}_pct"]) if v else None for k in ("any", "one", "none")]
        out.append([*line, shown(s.get("fibre_reach_pct"))])
    return keys, out


def header(key: str, lang: str) -> str:
    """The column title of a key in ``lang`` (technology columns: "4G · Gap (%)")."""
    t = labels(lang)
    tech, sep, kind = key.partition("_")
    if sep and kind in ("any", "one", "none") and tech[:1].isdigit():
        return f"{tech} · {t['col_' + kind]} (%)"
    return t.get(f"h_{key}", key)


def to_csv(keys: Sequence[str], rows: Iterable[Mapping[str, Any] | Sequence[Any]],
           lang: str = "vi") -> bytes:
    """CSV with translated headers, UTF-8 with BOM; ``None`` is an empty cell."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow([header(k, lang) for k in keys])
    for r in rows:
        values = [r.get(k) for k in keys] if isinstance(r, Mapping) else list(r)
        w.writerow(["" if v is None else v for v in values])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def to_xlsx(stats: Sequence[Mapping[str, Any]], districts: Mapping[str, str | None],
            lang: str = "vi", infill: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
            meta: Mapping[str, str] | None = None) -> bytes:
    """The workbook: per commune (wide), per commune and operator (long), optional infill
    sheets per technology, and a sheet saying when and from what it was made."""
    t = labels(lang)
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = t["sheet_communes"]
    keys, rows = wide_rows(stats, districts)
    ws.append([header(k, lang) for k in keys])
    for row in rows:
        ws.append(row)
    ws.freeze_panes = "C2"
    long = wb.create_sheet(t["sheet_operators"])
    long.append([header(k, lang) for k in LONG_KEYS])
    for r in long_rows(stats, districts, lang):
        long.append([r[k] for k in LONG_KEYS])
    long.freeze_panes = "D2"
    for tech, sugg in sorted((infill or {}).items()):
        sheet = wb.create_sheet(t["sheet_infill"].format(tech=tech))
        sheet.append([header(k, lang) for k in INFILL_KEYS])
        for x in sugg:
            sheet.append([x.get(k) for k in INFILL_KEYS])
    about = wb.create_sheet(t["sheet_about"])
    for k, v in (meta or {}).items():
        about.append([k, v])
    for sheet in wb.worksheets:
        sheet.column_dimensions["B"].width = 28
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()

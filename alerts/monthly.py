"""The department's monthly availability report as HTML (pure): Vietnamese by default,
English on request; the PDF is printed from this same HTML (``provnet/reports.py``)."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from zoneinfo import ZoneInfo

TEXT: dict[str, dict[str, str]] = {
    "vi": {
        "title": "Báo cáo khả dụng mạng truyền số liệu chuyên dùng tháng {month}",
        "title_any": "Báo cáo khả dụng mạng truyền số liệu chuyên dùng",
        "period": "Kỳ báo cáo: từ {start} đến {end} (giờ Việt Nam)",
        "province": "Toàn tỉnh", "district": "Huyện", "commune": "Xã, phường, thị trấn",
        "code": "Mã", "name": "Tên", "avail": "Khả dụng thực tế",
        "avail_excl": "Khả dụng trừ bảo trì", "down": "Thời gian gián đoạn",
        "maint": "Thời gian bảo trì", "nodata": "Không có số liệu", "incidents": "Số sự cố",
        "mttr": "MTTR (thời gian khắc phục TB)", "mtbf": "MTBF (thời gian giữa hai sự cố TB)",
        "denominator": "Mẫu số: {den}. Thời gian không có số liệu không được tính là hoạt động.",
        "den_exp": "thời gian trong kỳ trừ thời gian không có số liệu",
        "den_excl": "trừ thêm thời gian bảo trì",
        "rule": "Một xã được coi là hoạt động khi còn ít nhất một đường kết nối về trung tâm.",
        "issued": "Lập lúc {at}, phiên bản {version}", "none": "—",
    },
    "en": {
        "title": "Government data network availability report, {month}",
        "title_any": "Government data network availability report",
        "period": "Period: {start} to {end} (Vietnam time)",
        "province": "Province", "district": "District", "commune": "Commune",
        "code": "Code", "name": "Name", "avail": "Availability (as experienced)",
        "avail_excl": "Availability excluding maintenance", "down": "Downtime",
        "maint": "Maintenance", "nodata": "No data", "incidents": "Incidents",
        "mttr": "MTTR", "mtbf": "MTBF",
        "denominator": "Denominator: {den}. Time without data is never counted as up.",
        "den_exp": "time in the period minus time without data",
        "den_excl": "also minus maintenance",
        "rule": "A commune is up while at least one path to the core is up.",
        "issued": "Issued {at}, version {version}", "none": "—",
    },
}


def month_bounds(month: str, tz: ZoneInfo) -> tuple[float, float]:
    """``2026-11`` -> [first instant, first instant of the next month) in ``tz``."""
    try:
        first = date.fromisoformat(f"{month}-01")
    except ValueError as exc:
        raise ValueError(f"month {month!r}: give YYYY-MM") from exc
    nxt = date(first.year + (first.month == 12), first.month % 12 + 1, 1)
    start = datetime(first.year, first.month, 1, tzinfo=tz).timestamp()
    end = datetime(nxt.year, nxt.month, 1, tzinfo=tz).timestamp()
    return start, end


def _pct(v: object) -> str:
    return f"{float(v) * 100:.3f} %" if isinstance(v, (int, float)) else "—"


def _dur(v: object) -> str:
    if not isinstance(v, (int, float)):
        return "—"
    s = round(float(v))
    return f"{s // 3600} h {s % 3600 // 60:02d} min"


def _rows(entries: Sequence[Mapping[str, object]]) -> str:
    out = []
    for e in entries:
        cells = [e.get("id"), e.get("name"), _pct(e.get("availability_experienced")),
                 _pct(e.get("availability_excluding_maintenance")), _dur(e.get("down_s")),
                 _dur(e.get("maintenance_s")), _dur(e.get("no_data_s")), e.get("incidents"),
                 _dur(e.get("mttr_s")), _dur(e.get("mtbf_s"))]
        out.append("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in cells) + "</tr>")
    return "\n".join(out)


def render(month: str, lang: str, levels: Mapping[str, Sequence[Mapping[str, object]]],
           tz: ZoneInfo, issued_at: float, version: int) -> str:
    """The monthly report's HTML (UTF-8; Noto Sans keeps Vietnamese diacritics in the PDF)."""
    start, end = month_bounds(month, tz)
    return render_period(TEXT[lang]["title"].format(month=month), lang, levels, tz, start, end,
                         issued_at, version)


def html_to_pdf(text: str) -> bytes:
    """Print HTML to PDF with WeasyPrint (fonts through fontconfig: Debian fonts-noto-core)."""
    from weasyprint import HTML  # imported on use: it is slow to import

    return bytes(HTML(string=text).write_pdf())


def render_period(title: str, lang: str, levels: Mapping[str, Sequence[Mapping[str, object]]],
                  tz: ZoneInfo, start: float, end: float, issued_at: float,
                  version: int | None = None) -> str:
    """Availability tables of any period as HTML."""
    t = TEXT[lang]
    fmt = "%d/%m/%Y %H:%M" if lang == "vi" else "%Y-%m-%d %H:%M"
    head = "".join(f"<th>{html.escape(t[k])}</th>" for k in (
        "code", "name", "avail", "avail_excl", "down", "maint", "nodata", "incidents", "mttr",
        "mtbf"))
    den = f"{t['den_exp']}; {t['den_excl']}"
    sections = "\n".join(
        f"<h2>{html.escape(t[level])}</h2>\n<table><thead><tr>{head}</tr></thead>"
        f"<tbody>{_rows(rows)}</tbody></table>"
        for level, rows in levels.items())
    issued = t["issued"].format(at=datetime.fromtimestamp(issued_at, tz).strftime(fmt),
                                version=version if version is not None else "-")
    return f"""<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>
@page {{ size: A4 landscape; margin: 12mm; }}
body {{ font-family: "Noto Sans", "DejaVu Sans", sans-serif; font-size: 9pt; }}
table {{ border-collapse: collapse; width: 100%; margin-bottom: 8mm; }}
th, td {{ border: 0.5pt solid #888; padding: 2pt 4pt; text-align: left; }}
th {{ background: #e8eef6; }}
</style></head><body>
<h1>{html.escape(title)}</h1>
<p>{html.escape(t["period"].format(start=datetime.fromtimestamp(start, tz).strftime(fmt),
                                    end=datetime.fromtimestamp(end, tz).strftime(fmt)))}</p>
<p>{html.escape(t["denominator"].format(den=den))} {html.escape(t["rule"])}</p>
{sections}
<p>{html.escape(issued)}</p>
</body></html>
"""

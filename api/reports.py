"""The planner report pack: ``/reports/coverage`` (printable page), ``.csv`` and ``.xlsx``.

Every figure comes from the coverage API's statistics through :mod:`provnet.maps.report`
(rounded as the pages show them); the page prints on A4 with its own print style.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response

from provnet.api.coverage import download
from provnet.api.ui.render import LangQ as PageLangQ
from provnet.api.ui.render import page_lang, render
from provnet.maps.classes import shown
from provnet.maps.errors import MapsError
from provnet.maps.geojson import MapsContext
from provnet.maps.labels import LABELS, Lang, labels
from provnet.maps.report import LONG_KEYS, header, long_rows, to_csv, to_xlsx, wide_rows
from provnet.maps.style import OPERATOR_COLOURS
from provnet.maps.svg import local_time

Generation = Literal["legacy", "2025"]
LangQ = Annotated[Lang, Query(description="vi (default) or en")]
CommuneQ = Annotated[str | None, Query(min_length=1, max_length=10,
                                       description="one commune; without it every commune")]
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "unknown commune"}, 503: {"description": "coverage not computable"}}


def reports_router(ctx: MapsContext) -> APIRouter:
    """Routes of the report pack over the map context (its coverage service)."""
    r = APIRouter(tags=["reports"])

    def stats(generation: str, commune: str | None) -> list[dict[str, Any]]:
        if ctx.coverage is None:
            raise HTTPException(503, "coverage is not attached to this service")
        try:
            rows: list[dict[str, Any]] = ctx.coverage.communes(generation)
        except MapsError as exc:
            raise HTTPException(503, f"coverage cannot be computed: {exc}") from exc
        if commune is not None:
            rows = [x for x in rows if x["code"] == commune]
            if not rows:
                raise HTTPException(404, f"no {generation} commune with code {commune!r}")
        return rows

    def districts(generation: str) -> dict[str, str | None]:
        if generation != "legacy":
            return {}
        return {u.code: u.parent_name for u in ctx.units(generation, "commune")}

    def stem(generation: str, commune: str | None) -> str:
        return f"phu-song-{commune or 'toan-tinh'}-{generation}"

    @r.get("/reports/coverage.csv", response_class=Response, responses={
        200: {"content": {"text/csv": {}}, "description": "UTF-8 with BOM"}, **NOT_FOUND})
    def report_csv(generation: Generation = "legacy", commune: CommuneQ = None,
                   lang: LangQ = "vi",
                   table: Annotated[Literal["operators", "communes"], Query(
                       description="operators: one row per commune, technology and operator; "
                                   "communes: one row per commune")] = "operators"
                   ) -> Response:
        """Coverage per commune and operator as CSV (a download)."""
        rows = stats(generation, commune)
        if table == "communes":
            keys, wide = wide_rows(rows, districts(generation))
            body = to_csv(keys, wide, lang)
        else:
            body = to_csv(LONG_KEYS, long_rows(rows, districts(generation), lang), lang)
        return download(body, "text/csv; charset=utf-8", f"{stem(generation, commune)}.csv")

    @r.get("/reports/coverage.xlsx", response_class=Response, responses={
        200: {"content": {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet":
                          {}}}, **NOT_FOUND})
    def report_xlsx(generation: Generation = "legacy", commune: CommuneQ = None,
                    lang: LangQ = "vi",
                    infill: Annotated[bool, Query(description=(
                        "add the province-wide 4G and 5G BTS suggestions (seconds the first "
                        "time)"))] = False) -> Response:
        """The workbook: by commune, by commune and operator, optional BTS suggestions."""
        rows = stats(generation, commune)
        t = labels(lang)
        sugg: dict[str, list[dict[str, Any]]] = {}
        if infill and ctx.coverage is not None:
            for tech in ("4G", "5G"):
                found = ctx.coverage.infill_province(tech, generation)
                sugg[tech] = [x for x in found if commune in (None, x["commune"])]
        computed = rows[0]["computed_at"] if rows else None
        meta = {t["report_title"]: t["gen_legacy" if generation == "legacy" else "gen_2025"],
                t["generated"]: local_time(),
                t["source"]: t["source_text"].format(
                    computed=local_time(computed) if computed else "–")}
        body = to_xlsx(rows, districts(generation), lang, sugg, meta)
        return download(body, "application/vnd.openxmlformats-officedocument.spreadsheetml"
                              ".sheet", f"{stem(generation, commune)}.xlsx")

    @r.get("/reports/coverage", response_class=HTMLResponse, responses=NOT_FOUND)
    def report_page(request: Request, generation: Generation = "legacy",
                    commune: CommuneQ = None, lang: PageLangQ = None) -> Response:
        """Printable coverage report: the province summary and every commune, or one
        commune by operator with its static map."""
        asked, lang_ = lang, page_lang(request, lang)
        rows = stats(generation, commune)
        dist = districts(generation)
        keys, wide = wide_rows(rows, dist)
        techs = sorted({k for x in rows for k in (x.get("by_technology") or {})})
        summary = []
        for tech in techs:
            vals = [x["by_technology"][tech] for x in rows if tech in x["by_technology"]]
            summary.append({
                "tech": tech,
                "mean_any": shown(sum(v["any_pct"] for v in vals) / len(vals)) if vals else None,
                "full": sum(1 for v in vals if shown(v["none_pct"]) == 0.0),
                "with_gap": sum(1 for v in vals if (shown(v["none_pct"]) or 0) > 0)})
        computed = rows[0]["computed_at"] if rows else None
        province = ctx.units("legacy", "province")
        return render(request, "report.html", asked, {
            "generation": generation,
            "province_name": province[0].name if province else "",
            "commune": rows[0] if commune else None, "keys": keys, "wide": wide,
            "long": long_rows(rows, dist, lang_) if commune else [],
            "techs": techs, "summary": summary, "operator_colours": OPERATOR_COLOURS,
            "generated": local_time(),
            "computed": local_time(computed) if computed else "–",
            "col_headers": [header(k, lang_) for k in keys],
            "long_keys": LONG_KEYS, "long_headers": [header(k, lang_) for k in LONG_KEYS],
            "leaflet_missing": False}, tables=(LABELS,))

    return r

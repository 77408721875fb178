"""HTML map pages (jinja2 + Leaflet bundled from npm, no internet tiles) and their static files.

``/maps/province`` colours every commune by a coverage metric; ``/maps/communes/{code}`` shows
one commune with coverage layers per operator and technology, hatched gaps, sites and links.
The pages fetch GeoJSON from ``/api/v1/geo`` and statistics from the coverage API.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

from provnet.api.geo import geo_router
from provnet.api.reports import reports_router
from provnet.api.ui.render import LangQ, finish, page_lang, shell_context, templates
from provnet.api.ui.shell import shell_router
from provnet.maps.geojson import STATUS_COLOURS, MapsContext
from provnet.maps.labels import LABELS, labels
from provnet.maps.style import LEAFLET_JS, OPERATOR_COLOURS, STATIC_DIR
from provnet.maps.svg import commune_svg as render_commune_svg
from provnet.maps.svg import svg_to_png

log = logging.getLogger(__name__)
Generation = Literal["legacy", "2025"]
MetricQ = Annotated[str | None, Query(max_length=30, pattern=r"^[A-Za-z0-9]+:[A-Za-z0-9]+$|^fibre$",
                                      description="e.g. 4G:any, 5G:none, Viettel:4G, fibre")]
HTML_404: dict[int | str, dict[str, Any]] = {
    404: {"description": "unknown commune (HTML page with the reason)",
          "content": {"text/html": {}}}}


def _base(request: Request, lang: str, generation: str) -> dict[str, Any]:
    return {**shell_context(request, lang, LABELS), "generation": generation,
            "status_colours": STATUS_COLOURS, "operator_colours": OPERATOR_COLOURS,
            "leaflet_missing": not LEAFLET_JS.exists()}


def pages_router(ctx: MapsContext) -> APIRouter:
    """``/maps/province``, ``/maps/communes/{code}`` (+ ``.svg``) and ``/maps/static``."""
    router = APIRouter(tags=["maps"])
    router.mount("/maps/static", StaticFiles(directory=STATIC_DIR), name="maps-static")
    if not LEAFLET_JS.exists():
        log.warning("Leaflet is missing under %s: run `make web` (npm ci)", LEAFLET_JS.parent)

    def province_name() -> str:
        units = ctx.units("legacy", "province")
        return units[0].name if units else ""

    @router.get("/maps/province", response_class=HTMLResponse)
    def province(request: Request, lang: LangQ = None, generation: Generation = "legacy",
                 metric: MetricQ = None,
                 refresh: Annotated[int, Query(ge=2, le=3600, description=(
                     "seconds between re-reads of links and incidents besides the stream "
                     "events (wall screens)"))] = 30) -> Response:
        """Every commune coloured by a coverage metric, districts, links by live state,
        communes cut off by an open incident; live from the event stream."""
        asked, lang_ = lang, page_lang(request, lang)
        page = {"kind": "province", "lang": lang_, "generation": generation,
                "metric": metric or "4G:any", "labels": labels(lang_),
                "status_colours": STATUS_COLOURS, "operator_colours": OPERATOR_COLOURS,
                "live_stream": ctx.live_stream, "refresh_s": refresh}
        return finish(request, templates.TemplateResponse(request, "province.html", {
            **_base(request, lang_, generation), "province_name": province_name(), "page": page}),
            asked)

    def not_found(request: Request, lang: str, generation: str, reason: str) -> Response:
        return templates.TemplateResponse(request, "not_found.html", {
            **_base(request, lang, generation), "reason": reason}, status_code=404)

    @router.get("/maps/communes/{code}.svg", responses={
        200: {"content": {"image/svg+xml": {}}, "description": "the commune map as SVG"},
        404: {"description": "unknown commune"}})
    def commune_svg(request: Request, code: str, lang: LangQ = None,
                    generation: Generation = "legacy",
                    technology: Annotated[str, Query(pattern=r"^[2-5]G$")] = "4G") -> Response:
        """A static SVG of one commune for reports (coverage of one technology, gaps, BTS)."""
        lang_ = page_lang(request, lang)
        t = labels(lang_)
        if ctx.commune(generation, code) is None:
            raise HTTPException(404, t["not_found_commune"].format(code=code,
                                                                   generation=generation))
        svg = render_commune_svg(ctx, code, generation, technology, lang_, OPERATOR_COLOURS)
        if svg is None:
            raise HTTPException(404, t["no_geometry"].format(code=code))
        return Response(svg, media_type="image/svg+xml")

    @router.get("/maps/communes/{code}.png", responses={
        200: {"content": {"image/png": {}}, "description": "the commune map as PNG"},
        404: {"description": "unknown commune"}})
    def commune_png(request: Request, code: str, lang: LangQ = None,
                    generation: Generation = "legacy",
                    technology: Annotated[str, Query(pattern=r"^[2-5]G$")] = "4G") -> Response:
        """The static map as PNG (the same SVG drawn by cairo at twice its size), a download
        for documents and slides (issue 15)."""
        svg = commune_svg(request, code, lang, generation, technology)
        return Response(svg_to_png(bytes(svg.body)), media_type="image/png", headers={
            "content-disposition": f'attachment; filename="ban-do-{code}-{technology}.png"'})

    @router.get("/maps/communes/{code}", response_class=HTMLResponse, responses=HTML_404)
    def commune(request: Request, code: str, lang: LangQ = None,
                generation: Generation = "legacy") -> Response:
        """One commune: coverage layers per operator/technology, gaps, sites, links, stats."""
        asked, lang_ = lang, page_lang(request, lang)
        t = labels(lang_)
        u = ctx.commune(generation, code)
        if u is None:
            return not_found(request, lang_, generation,
                             t["not_found_commune"].format(code=code, generation=generation))
        if u.geom is None:
            return not_found(request, lang_, generation, t["no_geometry"].format(code=code))
        page = {"kind": "commune", "lang": lang_, "generation": generation, "code": u.code,
                "name": u.name, "parent_code": u.parent_code, "labels": t,
                "status_colours": STATUS_COLOURS, "operator_colours": OPERATOR_COLOURS}
        return finish(request, templates.TemplateResponse(request, "commune.html", {
            **_base(request, lang_, generation), "unit": u, "page": page,
            "province_name": province_name()}), asked)

    return router


def maps_routers(ctx: MapsContext) -> list[APIRouter]:
    """The GeoJSON API and the pages over one context."""
    return [geo_router(ctx), pages_router(ctx), shell_router(), reports_router(ctx)]

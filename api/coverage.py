"""Coverage API: per-commune statistics, coverage/gap layers (GeoJSON or KML), infill."""

from __future__ import annotations

import dataclasses
import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel

from provnet.api.paging import CodeCursor, ListLimit, list_slice
from provnet.api.scope import scope_of
from provnet.maps.classes import choropleth, metric_names, parse_metric
from provnet.maps.coverage import CoverageService
from provnet.maps.errors import MapsError
from provnet.maps.io_export import to_kml
from provnet.maps.report import INFILL_KEYS, to_csv

Generation = Literal["legacy", "2025"]
Code = Annotated[str, Query(min_length=1, max_length=10, description="commune code, e.g. 30280")]
Tech = Annotated[str | None, Query(max_length=5, description="2G, 3G, 4G or 5G")]
Operator = Annotated[str | None, Query(max_length=30, description="e.g. Viettel")]


class TechStats(BaseModel):
    """Share of a unit's area with a technology from at least one / exactly one / no operator."""

    any_pct: float
    one_pct: float
    none_pct: float


class CommuneCoverageOut(BaseModel):
    """Coverage statistics of one commune-level unit."""

    code: str
    name: str
    generation: str
    area_km2: float
    by_operator: dict[str, dict[str, float]]
    by_technology: dict[str, TechStats]
    fibre_reach_pct: float
    computed_at: str
    inventory_version: str
    boundary_derived: bool = False  # 2025 unit drawn from its legacy communes (approximate)


class SuggestionOut(BaseModel):
    """A candidate BTS position; ``closes_km2`` counts only what earlier ranks leave open."""

    commune: str | None = None
    commune_name: str | None = None
    technology: str | None = None
    province_rank: int | None = None  # province-wide answers: by area closed, largest first
    rank: int
    lon: float
    lat: float
    range_m: float
    closes_km2: float
    closes_pct_of_gap: float
    nearest_fibre_m: float | None


class GeoJson(BaseModel):
    """A GeoJSON FeatureCollection in WGS84."""

    type: Literal["FeatureCollection"]
    features: list[dict[str, Any]]


def download(body: bytes, media_type: str, filename: str) -> Response:
    """A file answer: the browser saves it under ``filename``."""
    return Response(body, media_type=media_type,
                    headers={"content-disposition": f'attachment; filename="{filename}"'})


def _ready(svc: CoverageService) -> None:
    """Compute on first use; a broken inventory is a 503 with the reason, not a crash."""
    try:
        svc.ensure()
    except MapsError as exc:
        raise HTTPException(503, f"coverage cannot be computed: {exc}") from exc


def _tech(svc: CoverageService, technology: str | None) -> None:
    _ready(svc)
    known = {t for r in svc.results("legacy")[:1] for t in r.by_technology}
    if technology is not None and known and technology not in known:
        raise HTTPException(404, f"no {technology} sectors in the inventory "
                                 f"(known: {', '.join(sorted(known))})")


def coverage_router(svc: CoverageService) -> APIRouter:
    """Routes over one coverage service."""
    r = APIRouter(tags=["coverage"])

    @r.get("/api/v1/communes/{code}/coverage", response_model=CommuneCoverageOut,
           responses={404: {"description": "no such commune"}})
    def commune_coverage(code: str, generation: Generation = "legacy") -> dict[str, Any]:
        _ready(svc)
        out = svc.commune(code, generation)
        if out is None:
            raise HTTPException(404, f"no {generation} commune with code {code!r} "
                                     "(or it has no boundary)")
        return out

    @r.get("/api/v1/coverage/communes", response_model=list[CommuneCoverageOut])
    def all_communes(request: Request, response: Response, generation: Generation = "legacy",
                     limit: ListLimit = None, cursor: CodeCursor = None) -> list[dict[str, Any]]:
        """Every commune's coverage; with ``limit`` the next page is in the ``Link`` header
        (``rel="next"``, by cursor: the last commune's code)."""
        _ready(svc)
        rows = svc.communes(generation)
        scoped = scope_of(request)
        if scoped is not None:  # a district-scoped user: its communes only
            rows = [c for c in rows if scoped.commune(c["code"])]
        return list_slice(request, response, rows, lambda c: c["code"], limit, cursor, "any")

    @r.get("/api/v1/coverage/layers", response_model=GeoJson,
           responses={404: {"description": "no such commune or technology"}})
    def layers(commune: Annotated[str | None, Query(max_length=10)] = None,
               technology: Tech = None, operator: Operator = None,
               generation: Generation = "legacy") -> dict[str, Any]:
        _tech(svc, technology)
        if commune is not None and svc.result(commune, generation) is None:
            raise HTTPException(404, f"no {generation} commune with code {commune!r}")
        return svc.layers(commune, technology, operator, generation)

    @r.get("/api/v1/coverage/gaps", response_model=GeoJson,
           responses={200: {"content": {"application/vnd.google-earth.kml+xml": {},
                                        "application/geo+json": {}}},
                      404: {"description": "no such commune or technology"}})
    def gaps(technology: Annotated[str, Query(max_length=5)] = "4G",
             commune: Annotated[str | None, Query(max_length=10)] = None,
             format: Literal["geojson", "kml"] = "geojson",
             generation: Generation = "legacy",
             download_file: Annotated[bool, Query(
                 alias="download", description="answer as a file (Content-Disposition)")]
             = False) -> Any:
        _tech(svc, technology)
        if commune is not None and svc.result(commune, generation) is None:
            raise HTTPException(404, f"no {generation} commune with code {commune!r}")
        fc = svc.gaps(technology, commune, generation)
        stem = f"vung-lom-{technology}-{commune or 'toan-tinh'}-{generation}"
        if format == "kml":
            name = f"Vùng lõm sóng {technology}" + (f" {commune}" if commune else "")
            kml = to_kml(fc, name)
            if download_file:
                return download(kml, "application/vnd.google-earth.kml+xml", f"{stem}.kml")
            return Response(kml, media_type="application/vnd.google-earth.kml+xml")
        if download_file:
            return download(json.dumps(fc, ensure_ascii=False).encode(), "application/geo+json",
                            f"{stem}.geojson")
        return fc

    @r.get("/api/v1/coverage/infill", response_model=list[SuggestionOut],
           responses={200: {"content": {"text/csv": {}, "application/geo+json": {}}},
                      404: {"description": "no such commune or technology"}})
    def infill(commune: Annotated[str | None, Query(
                   min_length=1, max_length=10,
                   description="one commune; without it: every commune of the province")]
               = None,
               technology: Annotated[str, Query(max_length=5)] = "4G",
               generation: Generation = "legacy",
               top: Annotated[int | None, Query(ge=1, le=50, description=(
                   "suggestions per commune (province-wide default 3)"))] = None,
               format: Annotated[Literal["json", "csv", "geojson"], Query(
                   description="csv and geojson download as files")] = "json",
               lang: Annotated[Literal["vi", "en"], Query()] = "vi") -> Any:
        """Ranked new-BTS positions closing a commune's gap, or every commune's
        (``province_rank`` orders them by the area they close)."""
        _tech(svc, technology)
        if commune is None:
            rows = svc.infill_province(technology, generation, top or 3)
        else:
            out = svc.infill(commune, technology, generation, top)
            if out is None:
                raise HTTPException(404, f"no {generation} commune with code {commune!r}")
            name = svc.result(commune, generation)
            rows = [{"commune": commune, "commune_name": name.name if name else None,
                     "technology": technology, "province_rank": None,
                     **dataclasses.asdict(x)} for x in out]
        stem = f"de-xuat-bts-{technology}-{commune or 'toan-tinh'}-{generation}"
        if format == "csv":
            return download(to_csv(INFILL_KEYS, rows, lang), "text/csv; charset=utf-8",
                            f"{stem}.csv")
        if format == "geojson":
            fc = {"type": "FeatureCollection", "features": [
                {"type": "Feature", "geometry": {"type": "Point",
                                                 "coordinates": [x["lon"], x["lat"]]},
                 "properties": {k: x.get(k) for k in INFILL_KEYS if k not in ("lon", "lat")}}
                for x in rows]}
            return download(json.dumps(fc, ensure_ascii=False).encode(),
                            "application/geo+json", f"{stem}.geojson")
        return [SuggestionOut(**x) for x in rows]

    @r.get("/api/v1/coverage/choropleth", responses={
        404: {"description": "no such technology"}, 422: {"description": "unknown metric"}})
    def choropleth_route(metric: Annotated[str, Query(
                             max_length=30, pattern=r"^[A-Za-z0-9]+:[A-Za-z0-9]+$|^fibre$",
                             description="e.g. 4G:any, 5G:none, Viettel:4G, fibre")] = "4G:any",
                         generation: Generation = "legacy") -> dict[str, Any]:
        """What the province map draws for one metric: the class table (legend), each
        commune's value and class (fill), the mean and the 10 worst communes. The page and
        this answer classify with the same function (``maps.classes.classify``)."""
        _ready(svc)
        stats = svc.communes(generation)
        names = metric_names(stats)
        if metric not in names:
            raise HTTPException(404, f"no metric {metric!r} in this inventory "
                                     f"(known: {', '.join(names)})")
        return {**choropleth(stats, parse_metric(metric)), "metrics": names,
                "generation": generation}

    return r

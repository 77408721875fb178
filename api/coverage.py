"""Coverage API: per-commune statistics, coverage/gap layers (GeoJSON or KML), infill."""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel

from provnet.api.paging import CodeCursor, ListLimit, list_slice
from provnet.api.scope import scope_of
from provnet.maps.coverage import CoverageService
from provnet.maps.errors import MapsError
from provnet.maps.io_export import to_kml

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
           responses={200: {"content": {"application/vnd.google-earth.kml+xml": {}}},
                      404: {"description": "no such commune or technology"}})
    def gaps(technology: Annotated[str, Query(max_length=5)] = "4G",
             commune: Annotated[str | None, Query(max_length=10)] = None,
             format: Literal["geojson", "kml"] = "geojson",
             generation: Generation = "legacy") -> Any:
        _tech(svc, technology)
        if commune is not None and svc.result(commune, generation) is None:
            raise HTTPException(404, f"no {generation} commune with code {commune!r}")
        fc = svc.gaps(technology, commune, generation)
        if format == "kml":
            name = f"Vùng lõm sóng {technology}" + (f" {commune}" if commune else "")
            return Response(to_kml(fc, name), media_type="application/vnd.google-earth.kml+xml")
        return fc

    @r.get("/api/v1/coverage/infill", response_model=list[SuggestionOut],
            responses={404: {"description": "no such commune or technology"}})
    def infill(commune: Code, technology: Annotated[str, Query(max_length=5)] = "4G",
               generation: Generation = "legacy",
               top: Annotated[int | None, Query(ge=1, le=50)] = None) -> list[SuggestionOut]:
        _tech(svc, technology)
        out = svc.infill(commune, technology, generation, top)
        if out is None:
            raise HTTPException(404, f"no {generation} commune with code {commune!r}")
        return [SuggestionOut(**dataclasses.asdict(x)) for x in out]

    return r

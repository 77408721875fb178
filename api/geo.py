"""``/api/v1/geo``: the inventory as GeoJSON for the map pages (builders in maps.geojson)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request

from provnet.api.scope import scope_of
from provnet.maps.geo_data import UnitGeo
from provnet.maps.geojson import (
    CUT_OFF_COLOUR,
    SIMPLIFY_DEG,
    STATUS_COLOURS,
    MapsContext,
    SiteKind,
    collection,
    commune_link_features,
    commune_sites,
    router_features,
    unit_feature,
)
from provnet.maps.ops import (
    cut_off_communes,
    device_communes,
    read_open_incidents,
    with_device_status,
)

Generation = Literal["legacy", "2025"]
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "unknown commune"}}


def _unknown_commune(generation: str, code: str) -> HTTPException:
    return HTTPException(404, f"no {generation} commune-level unit with code {code!r}")


def _commune(ctx: MapsContext, generation: str, code: str) -> UnitGeo:
    u = ctx.commune(generation, code)
    if u is None:
        raise _unknown_commune(generation, code)
    return u


def geo_router(ctx: MapsContext) -> APIRouter:
    """Routes under /api/v1/geo."""
    router = APIRouter(prefix="/api/v1/geo", tags=["maps"])

    @router.get("/communes", responses=NOT_FOUND)
    def communes(
        request: Request,
        generation: Generation = "legacy",
        code: Annotated[str | None, Query(max_length=10, description="one commune, full detail")]
        = None,
        district: Annotated[str | None, Query(max_length=10)] = None,
    ) -> dict[str, Any]:
        """Commune polygons (simplified unless one ``code`` is asked for)."""
        scoped = scope_of(request)
        if code is not None:
            if scoped is not None and not scoped.commune(code):
                raise HTTPException(403, scoped.reason(f"commune {code}"))
            return collection([unit_feature(_commune(ctx, generation, code))])
        rows = [u for u in ctx.units(generation, "commune")
                if u.geom is not None and (district is None or u.parent_code == district)]
        if scoped is not None:  # a district-scoped user: its communes only, uncached
            return collection([unit_feature(u, SIMPLIFY_DEG) for u in rows
                               if scoped.commune(u.code)])
        feats = ctx.cached(("communes-json", generation, district or ""),
                           lambda: [unit_feature(u, SIMPLIFY_DEG) for u in rows])
        every = ctx.units(generation, "commune")
        missing = [{"code": u.code, "name": u.name} for u in every if u.geom is None] \
            if not district else []
        return collection(feats, without_geometry=len(missing), total=len(every),
                          missing=missing)

    @router.get("/boundaries")
    def boundaries(level: Literal["province", "district"] = "district",
                   generation: Generation = "legacy") -> dict[str, Any]:
        """Province outline or district boundaries (the offline base map)."""
        feats = ctx.cached(("boundaries", level, generation), lambda: [
            unit_feature(u, SIMPLIFY_DEG) for u in ctx.units(generation, level)
            if u.geom is not None])
        return collection(feats)

    @router.get("/sites", responses=NOT_FOUND)
    def sites(
        commune: Annotated[str, Query(min_length=1, max_length=10, description="commune code")],
        kind: SiteKind | None = None, generation: Generation = "legacy",
    ) -> dict[str, Any]:
        """BTS (one feature per operator), fibre points and routers of one commune."""
        return collection(commune_sites(ctx, _commune(ctx, generation, commune), kind))

    @router.get("/routers")
    def routers(request: Request) -> dict[str, Any]:
        """Every core, PoP, commune office and department site with its devices and their
        live status (the word ``/api/v1/devices`` gives)."""
        feats = router_features(ctx)
        scoped = scope_of(request)
        if scoped is not None:
            feats = [f for f in feats if scoped.site(f["properties"]["code"])]
        return collection(with_device_status(feats, ctx.live))

    @router.get("/cutoff")
    def cutoff(request: Request, generation: Generation = "legacy") -> dict[str, Any]:
        """Communes cut off by an open incident (bị cô lập), with the incident, and the open
        incidents; read live (the map polls it on every stream event)."""
        incidents = read_open_incidents(ctx.store)
        units = ctx.units("2025", "commune") if generation == "2025" else None
        communes = cut_off_communes(incidents, ctx.cached(("device-communes",), lambda:
                                                          device_communes(ctx.store)), units)
        scoped = scope_of(request)
        if scoped is not None and generation == "legacy":
            communes = {c: r for c, r in communes.items() if scoped.commune(c)}
        return {"generation": generation, "communes": communes, "colour": CUT_OFF_COLOUR,
                "incidents": [{"id": i.id, "status": i.status, "severity": i.severity,
                               "title_vi": i.title_vi, "title_en": i.title_en,
                               "started_at": i.started_at,
                               "communes": sorted(c for c, r in communes.items()
                                                  if i.id in r["incidents"])}
                              for i in incidents]}

    @router.get("/links", responses=NOT_FOUND)
    def links(
        request: Request,
        commune: Annotated[str | None, Query(max_length=10, description="commune code")] = None,
        district: Annotated[str | None, Query(max_length=10, description="legacy district")]
        = None,
        generation: Generation = "legacy",
    ) -> dict[str, Any]:
        """Links (downstream end in the commune, or all) with live state and display colour."""
        u = _commune(ctx, generation, commune) if commune is not None else None
        feats = commune_link_features(ctx, u, district)
        scoped = scope_of(request)
        if scoped is not None:
            feats = [f for f in feats if scoped.link(int(f["properties"]["id"]))]
        return collection(feats, colours=STATUS_COLOURS)

    return router

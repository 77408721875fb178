"""``/api/v1/geo``: the inventory as GeoJSON for the map pages (builders in maps.geojson)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request

from provnet.api.scope import scope_of
from provnet.maps.geo_data import UnitGeo
from provnet.maps.geojson import (
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
        total = len(ctx.units(generation, "commune"))
        return collection(feats, without_geometry=total - len(feats) if not district else 0)

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
        """Every core, PoP, commune office and department site with its devices."""
        feats = router_features(ctx)
        scoped = scope_of(request)
        if scoped is not None:
            feats = [f for f in feats if scoped.site(f["properties"]["code"])]
        return collection(feats)

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

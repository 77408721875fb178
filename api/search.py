"""``GET /api/v1/search``: one box that finds communes, sites, devices, circuit ids and
management addresses, with or without diacritics (:mod:`provnet.inventory.find`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from provnet.api.params import Limit, Offset
from provnet.inventory.find import Hit, search
from provnet.inventory.store import Store

SearchQ = Annotated[str, Query(min_length=1, max_length=100,
                               description="name (with or without diacritics), code, "
                                           "hostname, circuit id or IP address")]


class SearchHit(BaseModel):
    """One result: its kind, what to show, where it opens."""

    kind: str
    key: str
    label: str
    detail: str
    url: str


class SearchPage(BaseModel):
    """Results, best first, and how many there are in all."""

    total: int
    limit: int
    offset: int
    items: list[SearchHit]


def hit_url(hit: Hit) -> str:
    """The page a result opens: a commune's page, a device's, a link's; a site opens its
    first device (a PoP, a commune office) or else its commune."""
    if hit.kind == "commune":
        return f"/communes/{hit.key}"
    if hit.kind == "unit2025":
        return f"/maps/communes/{hit.key}?generation=2025"
    if hit.kind == "device":
        return f"/devices/{hit.key}"
    if hit.kind == "link":
        return f"/links/{hit.key}"
    if hit.device_id is not None:
        return f"/devices/{hit.device_id}"
    return f"/communes/{hit.commune_code}" if hit.commune_code else "/maps/province"


def run_search(store: Store, q: str, limit: int, offset: int = 0) -> SearchPage:
    """The one search both the route and the ``/search`` page answer from."""
    with store.session() as s:
        total, hits = search(s, q, limit, offset)
    return SearchPage(total=total, limit=limit, offset=offset, items=[
        SearchHit(kind=h.kind, key=h.key, label=h.label, detail=h.detail, url=hit_url(h))
        for h in hits])


def search_router(store: Store) -> APIRouter:
    """``/api/v1/search``."""
    r = APIRouter(tags=["inventory"])

    @r.get("/api/v1/search", response_model=SearchPage)
    def find(q: SearchQ, limit: Limit = 20, offset: Offset = 0) -> SearchPage:
        """Communes (legacy and 2025), sites, devices, circuit ids and addresses matching
        ``q``, best first: exact, then prefix, then substring."""
        return run_search(store, q, limit, offset)

    return r

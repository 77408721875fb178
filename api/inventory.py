"""Inventory routes: administrative units (communes) with search with or without diacritics."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Literal

from fastapi import APIRouter, Query

from provnet.api import schemas
from provnet.api.context import ApiContext
from provnet.api.params import Limit, Offset
from provnet.inventory import queries


def inventory_router(ctx: ApiContext) -> APIRouter:
    """``/api/v1/communes``."""
    r = APIRouter(tags=["inventory"])

    @r.get("/api/v1/communes", response_model=schemas.Page[schemas.Commune])
    def communes(
        district: Annotated[str | None, Query(max_length=10,
                                              description="district code, e.g. 891")] = None,
        q: Annotated[str | None, Query(max_length=100,
                                       description="name, with or without diacritics")] = None,
        generation: Literal["legacy", "2025"] = "legacy",
        limit: Limit = 50, offset: Offset = 0,
    ) -> schemas.Page[schemas.Commune]:
        with ctx.store.session() as s:
            total, rows = queries.communes(s, generation, district, q, limit, offset)
        items = [schemas.Commune(**asdict(r)) for r in rows]
        return schemas.Page(total=total, limit=limit, offset=offset, items=items)

    return r

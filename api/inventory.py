"""Inventory routes: administrative units (communes) with search with or without diacritics."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from provnet.api import schemas
from provnet.api.context import ApiContext
from provnet.api.paging import CodeCursor, Trimmed, cursor_page, fields_query, next_link, respond
from provnet.api.params import Limit, Offset
from provnet.inventory import queries


def inventory_router(ctx: ApiContext) -> APIRouter:
    """``/api/v1/communes``."""
    r = APIRouter(tags=["inventory"])

    @r.get("/api/v1/communes", response_model=schemas.Page[schemas.Commune] | Trimmed)
    def communes(
        request: Request,
        district: Annotated[str | None, Query(max_length=10,
                                              description="district code, e.g. 891")] = None,
        q: Annotated[str | None, Query(max_length=100,
                                       description="name, with or without diacritics")] = None,
        generation: Literal["legacy", "2025"] = "legacy",
        limit: Limit = 50, offset: Offset = 0,
        cursor: CodeCursor = None,
        fields: Annotated[str | None, fields_query(schemas.Commune)] = None,
    ) -> schemas.Page[schemas.Commune] | Response:
        if cursor is None and fields is None:  # the SQL pages
            with ctx.store.session() as s:
                total, rows = queries.communes(s, generation, district, q, limit, offset)
            items = [schemas.Commune(**asdict(r)) for r in rows]
            return schemas.Page(total=total, limit=limit, offset=offset, items=items,
                                next=_next(request, items, total, offset, limit))
        with ctx.store.session() as s:  # a few hundred units at most: page them here
            _, rows = queries.communes(s, generation, district, q, 10**6, 0)
        every = [schemas.Commune(**asdict(r)) for r in rows]
        return respond(cursor_page(request, every, lambda c: c.code, limit, offset, cursor),
                       fields)

    return r


def _next(request: Request, items: list[schemas.Commune], total: int, offset: int,
          limit: int) -> str | None:
    """The cursor link after an SQL page (units are ordered by code)."""
    if not items or offset + limit >= total:
        return None
    return next_link(request, items[-1].code)

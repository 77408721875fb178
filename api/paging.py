"""Cursor pagination and ``fields=`` for the list routes, next to ``limit``/``offset``.

A cursor is the key of the last item of a page (a link's or device's id, a unit's code): the
next page starts after it, so an item inserted before it does not shift the pages as
``offset`` does. With a cursor, ``offset`` skips further items after it. Every page gives
``next``, the path and query of the following page (``null`` on the last one).
``fields=id,health`` keeps only those top-level fields of each item; the accepted names are in
the parameter's pattern (the OpenAPI document lists them), anything else is a 422.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Annotated, Any, TypeVar

from fastapi import Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel

from provnet.api.schemas import Page

T = TypeVar("T", bound=BaseModel)
Key = int | str
IdCursor = Annotated[int | None, Query(ge=0, le=2**31 - 1,
                                       description="the id after which the page starts "
                                                   "(from a page's next)")]
CodeCursor = Annotated[str | None, Query(max_length=10,
                                         description="the code after which the page starts "
                                                     "(from a page's next)")]


class Trimmed(BaseModel):
    """A page whose items keep only the fields asked for with ``fields=``."""

    total: int
    limit: int
    offset: int
    items: list[dict[str, Any]]
    next: str | None = None


def fields_query(model: type[BaseModel]) -> Any:
    """The ``fields`` query parameter of a list of ``model``: names of its fields only."""
    names = list(model.model_fields)
    alt = "|".join(names)
    return Query(max_length=500, pattern=f"^({alt})(,({alt}))*$",
                 description=f"comma-separated fields of each item to keep: {', '.join(names)}")


def cursor_page(request: Request, items: Sequence[T], key: Callable[[T], Key], limit: int,
                offset: int, cursor: Key | None) -> Page[T]:
    """One page of ``items`` (sorted by ``key``): after ``cursor`` if given, then ``offset``."""
    start = 0
    if cursor is not None:
        start = next((i for i, it in enumerate(items) if key(it) > cursor),  # type: ignore[operator]
                     len(items))
    start += offset
    chunk = list(items[start: start + limit])
    nxt = None
    if chunk and start + limit < len(items):
        nxt = next_link(request, key(chunk[-1]))
    return Page(total=len(items), limit=limit, offset=start, items=chunk, next=nxt)


def next_link(request: Request, last: Key) -> str:
    """The path and query of the page after the item keyed ``last``."""
    url = request.url.remove_query_params("offset").include_query_params(cursor=last)
    return f"{url.path}?{url.query}"


def respond(page: Page[T], fields: str | None) -> Page[T] | Response:
    """The page, or with ``fields`` its items trimmed to those fields (a JSON response)."""
    if fields is None:
        return page
    wanted = list(dict.fromkeys(f for f in fields.split(",") if f))
    body: dict[str, Any] = page.model_dump(mode="json")
    body["items"] = [{k: it[k] for k in wanted if k in it} for it in body["items"]]
    return JSONResponse(body)

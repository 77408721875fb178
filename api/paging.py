"""Cursor pagination and ``fields=`` for the list routes, next to ``limit``/``offset``.

A cursor is the key of the last item of a page (a link's or device's id, a unit's code): the
next page starts after it, so an item inserted before it does not shift the pages as
``offset`` does. With a cursor, ``offset`` skips further items after it. Every page gives
``next``, the path and query of the following page (``null`` on the last one).
Lists answered as a bare JSON array (silences, maintenance windows, coverage per commune) keep
that shape; their next page is in a ``Link: <...>; rel="next"`` header instead.
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
V = TypeVar("V")
Key = int | str
ListLimit = Annotated[int | None, Query(ge=1, le=1000,
                                         description="page size (default: the whole list)")]
IdCursor = Annotated[int | None, Query(ge=0, le=2**31 - 1,
                                       description="the id after which the page starts "
                                                   "(from a page's next)")]
KeyCursor = Annotated[str | None, Query(max_length=500,
                                        description="the key after which the page starts "
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


def cursor_page(request: Request, items: Sequence[V], key: Callable[[V], Key], limit: int,
                offset: int, cursor: Key | None, order: str = "asc") -> Page[V]:
    """One page of ``items``: after ``cursor`` if given, then ``offset``.

    ``order`` says how ``items`` are sorted by ``key``: ``asc``, ``desc`` (newest first), or
    ``any`` (the page starts after the item whose key is ``cursor``; from the start if it is
    gone), for lists sorted by something else where new items come first.
    """
    start = after(items, key, cursor, order)
    start += offset
    chunk = list(items[start: start + limit])
    nxt = None
    if chunk and start + limit < len(items):
        nxt = next_link(request, key(chunk[-1]))
    return Page(total=len(items), limit=limit, offset=start, items=chunk, next=nxt)


def after(items: Sequence[V], key: Callable[[V], Key], cursor: Key | None,
          order: str = "asc") -> int:
    """Index of the first item after ``cursor`` (see :func:`cursor_page`)."""
    if cursor is None:
        return 0
    if order == "any":
        return next((i + 1 for i, it in enumerate(items) if key(it) == cursor), 0)
    if order == "desc":
        return next((i for i, it in enumerate(items) if key(it) < cursor),  # type: ignore[operator]
                    len(items))
    return next((i for i, it in enumerate(items) if key(it) > cursor),  # type: ignore[operator]
                len(items))


def keyset_page(request: Request, total: int, rows: Sequence[Any], items: list[T],
                limit: int, offset: int, key: Callable[[Any], Key]) -> Page[T]:
    """A page from SQL rows fetched with ``limit + 1`` after the cursor (the extra row says
    there is a next page; the cursor is the key of the last row kept)."""
    nxt = next_link(request, key(rows[limit - 1])) if len(rows) > limit else None
    return Page(total=total, limit=limit, offset=offset, items=items[:limit], next=nxt)


def list_slice(request: Request, response: Response, items: Sequence[V],
               key: Callable[[V], Key], limit: int | None, cursor: Key | None,
               order: str = "asc") -> list[V]:
    """For the lists answered as a bare JSON array (kept for compatibility): the items after
    ``cursor`` (``order`` as in :func:`cursor_page`), at most ``limit``; a following page is
    given in a ``Link: <path?query>; rel="next"`` header."""
    start = after(items, key, cursor, order)
    end = len(items) if limit is None else start + limit
    chunk = list(items[start:end])
    if chunk and end < len(items):
        response.headers["link"] = f'<{next_link(request, key(chunk[-1]))}>; rel="next"'
    return chunk


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

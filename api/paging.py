"""Cursor pagination and ``fields=`` for the list routes, next to ``limit``/``offset``.

A cursor is the key of the last item of a page (opaque, URL-safe): the next page starts after
it, so an item inserted before it does not shift the pages as ``offset`` does. Every page
gives ``next``, the path and query of the following page (``null`` on the last one).
``fields=id,health`` keeps only those top-level fields of each item (an unknown name is a 422).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from typing import Annotated, Any, TypeVar, cast

from fastapi import HTTPException, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel

from provnet.api.schemas import Page

T = TypeVar("T", bound=BaseModel)
Key = int | str
Cursor = Annotated[str | None, Query(max_length=200,
                                     description="from a page's next: the page after it")]
Fields = Annotated[str | None, Query(max_length=500,
                                     description="comma-separated fields of each item to keep")]


def encode_cursor(key: Key) -> str:
    """The opaque cursor of ``key``."""
    return base64.urlsafe_b64encode(json.dumps([key]).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, kind: type) -> Key:
    """The key in ``cursor``; a 422 naming the problem if it is not one of ours."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value: Any = json.loads(raw)[0]
    except (binascii.Error, ValueError, TypeError, IndexError, KeyError) as exc:
        raise HTTPException(422, f"cursor {cursor!r} is not a cursor of this list") from exc
    if type(value) is not kind:
        raise HTTPException(422, f"cursor {cursor!r} is not a cursor of this list")
    return cast(Key, value)


def cursor_page(request: Request, items: Sequence[T], key: Callable[[T], Key], limit: int,
                offset: int, cursor: str | None) -> Page[T]:
    """One page of ``items`` (sorted by ``key``), by ``cursor`` or by ``offset``."""
    if cursor is not None and offset:
        raise HTTPException(422, "give either cursor or offset, not both")
    start = offset
    if cursor is not None and items:
        after = decode_cursor(cursor, type(key(items[0])))
        start = next((i for i, it in enumerate(items) if key(it) > after),  # type: ignore[operator]
                     len(items))
    chunk = list(items[start: start + limit])
    nxt = None
    if chunk and start + limit < len(items):
        url = request.url.remove_query_params("offset").include_query_params(
            cursor=encode_cursor(key(chunk[-1])))
        nxt = f"{url.path}?{url.query}"
    return Page(total=len(items), limit=limit, offset=start, items=chunk, next=nxt)


def respond(page: Page[T], fields: str | None, model: type[BaseModel]) -> Page[T] | Response:
    """The page, or with ``fields`` its items trimmed to those fields (a JSON response)."""
    if fields is None:
        return page
    wanted = [f.strip() for f in fields.split(",") if f.strip()]
    unknown = sorted(set(wanted) - set(model.model_fields))
    if not wanted or unknown:
        raise HTTPException(422, f"unknown fields {unknown} (accepted: "
                                 f"{', '.join(model.model_fields)})")
    body: dict[str, Any] = page.model_dump(mode="json")
    body["items"] = [{k: it[k] for k in wanted} for it in body["items"]]
    return JSONResponse(body)

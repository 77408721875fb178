"""Query parameters every list route shares (one ``Limit``/``Offset``), the page builder, and
the rule that an unknown query parameter is a 422, not silently ignored."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, TypeVar

from fastapi import Query, Request
from fastapi.exceptions import RequestValidationError

from provnet.api.schemas import Page

T = TypeVar("T")
Limit = Annotated[int, Query(ge=1, le=1000, description="page size")]
Offset = Annotated[int, Query(ge=0, le=10**9, description="items to skip")]
_KNOWN: dict[int, frozenset[str]] = {}


def page(items: Sequence[T], limit: int, offset: int) -> Page[T]:
    """One page of ``items`` with the total count."""
    return Page(total=len(items), limit=limit, offset=offset,
                items=list(items[offset: offset + limit]))


def _query_names(dependant: Any) -> set[str]:
    """The query parameters a route declares, its dependencies' included."""
    names = {p.alias for p in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names


def _known_query(route: Any) -> frozenset[str] | None:
    dependant = getattr(route, "dependant", None)
    if dependant is None:  # static files, the offline docs: not ours to police
        return None
    key = id(route)
    if key not in _KNOWN:
        _KNOWN[key] = frozenset(_query_names(dependant))
    return _KNOWN[key]


async def reject_unknown_query(request: Request) -> None:
    """A query parameter the route does not declare is an error (a typo such as
    ``?comune=30544`` must not return every link)."""
    known = _known_query(request.scope.get("route"))
    if known is None:
        return
    unknown = sorted(set(request.query_params) - known)
    if unknown:
        accepted = ", ".join(sorted(known)) or "none"
        raise RequestValidationError([
            {"type": "extra_forbidden", "loc": ("query", name), "input": request.query_params[name],
             "msg": f"unknown query parameter {name!r} (accepted: {accepted})"}
            for name in unknown])

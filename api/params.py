"""Query parameters every list route shares (one ``Limit``/``Offset``), the page builder, and
the rule that an unknown query parameter is a 422, not silently ignored.

Input that no store accepts is a 422 here, before it reaches SQL: ``DbId``/``DbIdQ`` (a row
id fits a 32-bit signed integer, PostgreSQL's ``integer``), :func:`parse_time` (an RFC 3339
time within the years 1000..9899). NUL bytes are refused for every route by
:mod:`provnet.api.guard`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import Annotated, Any, TypeVar, get_args

from fastapi import HTTPException, Path, Query, Request
from fastapi.exceptions import RequestValidationError

from provnet.api.schemas import Page

T = TypeVar("T")
Limit = Annotated[int, Query(ge=1, le=1000, description="page size")]
Offset = Annotated[int, Query(ge=0, le=10**9, description="items to skip")]
#: the largest row id: PostgreSQL ``integer`` (SQLite accepts more, but ids never get there)
MAX_ID = 2**31 - 1
DbId = Annotated[int, Path(ge=1, le=MAX_ID, description="row id")]
DbIdQ = Annotated[int | None, Query(ge=1, le=MAX_ID, description="row id")]
#: years a time parameter may name: any UTC offset keeps them representable
YEARS = (1000, 9899)
#: the same rule for the OpenAPI document (with ``format: date-time``)
YEAR_PATTERN = r"^(1\d{3}|[2-8]\d{3}|9[0-8]\d{2})-"
_KNOWN: dict[int, frozenset[str]] = {}
_INTS: dict[int, frozenset[str]] = {}
_DIGITS = re.compile(r"^[+-]?[0-9]+$")
_RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")


def parse_time(value: str, name: str) -> dt.datetime:
    """An RFC 3339 time (offset required) as aware UTC; 422 with a reason otherwise, also for
    a time outside :data:`YEARS` (``0001-01-01T00:00:00+14:00`` has no UTC datetime)."""
    text = value.strip().upper()

    def bad(why: str) -> HTTPException:
        # the same shape as FastAPI's own validation errors, so the documented 422 holds
        return HTTPException(422, [{"loc": ["query", name], "type": "value_error",
                                    "msg": f"{why}: {value!r}"}])
    if not _RFC3339.match(text):
        raise bad("not an RFC 3339 time such as 2026-11-21T08:00:00+07:00")
    try:
        # RFC 3339 allows a leap second; Python's datetime does not
        t = dt.datetime.fromisoformat(re.sub(r"(T\d\d:\d\d):60", r"\1:59", text))
    except ValueError as exc:
        raise bad("not a valid calendar time") from exc
    lo, hi = YEARS
    if not lo <= t.year <= hi:  # checked before converting: year 1 at +14:00 overflows
        raise bad(f"not a time between the years {lo} and {hi}")
    return t.astimezone(dt.UTC)


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


def _int_names(dependant: Any) -> set[str]:
    """The query parameters declared as integers (``int`` or ``int | None``)."""
    names = {p.alias for p in dependant.query_params
             if int in (get_args(p.field_info.annotation) or (p.field_info.annotation,))}
    for sub in dependant.dependencies:
        names |= _int_names(sub)
    return names


def _known_query(route: Any) -> frozenset[str] | None:
    dependant = getattr(route, "dependant", None)
    if dependant is None:  # static files, the offline docs: not ours to police
        return None
    key = id(route)
    if key not in _KNOWN:
        _KNOWN[key] = frozenset(_query_names(dependant))
        _INTS[key] = frozenset(_int_names(dependant))
    return _KNOWN[key]


async def reject_unknown_query(request: Request) -> None:
    """A query parameter the route does not declare is an error (a typo such as
    ``?comune=30544`` must not return every link)."""
    known = _known_query(request.scope.get("route"))
    if known is None:
        return
    # pydantic reads "0.0" or "1e3" as an integer: an id or a count is digits only
    not_ints = [name for name in sorted(_INTS[id(request.scope.get("route"))])
                if name in request.query_params
                and not _DIGITS.match(request.query_params[name])]
    if not_ints:
        raise RequestValidationError([
            {"type": "int_parsing", "loc": ("query", name),
             "input": request.query_params[name],
             "msg": f"{name} must be a whole number written in digits"} for name in not_ints])
    unknown = sorted(set(request.query_params) - known)
    if unknown:
        accepted = ", ".join(sorted(known)) or "none"
        raise RequestValidationError([
            {"type": "extra_forbidden", "loc": ("query", name), "input": request.query_params[name],
             "msg": f"unknown query parameter {name!r} (accepted: {accepted})"}
            for name in unknown])

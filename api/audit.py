"""``GET /api/v1/audit``: every change by someone, newest first (admins only, api/roles.py)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel

from provnet.api.paging import IdCursor, next_link
from provnet.api.params import Limit, Offset
from provnet.api.schemas import Page
from provnet.inventory import audit
from provnet.inventory.store import Store

Text = Annotated[str | None, Query(max_length=120)]


class AuditEventOut(BaseModel):
    """One change: who, when, from where, what, before and after."""

    id: int
    at: dt.datetime
    actor: str
    address: str | None
    action: str
    target: str
    before: Any = None
    after: Any = None


def audit_router(store: Store) -> APIRouter:
    """The audit log over ``store``."""
    r = APIRouter(tags=["audit"])

    @r.get("/api/v1/audit", response_model=Page[AuditEventOut])
    def events(request: Request, actor: Text = None, action: Text = None,
               limit: Limit = 100, offset: Offset = 0, cursor: IdCursor = None) -> Any:
        """Acks, silences, maintenance windows, inventory edits, users and tokens; filter by
        actor (user name) or action (e.g. ``incident.ack``). ``next``: the following page by
        cursor (the last event's id: events recorded meanwhile do not shift it)."""
        with store.session() as s:
            total, rows = audit.page(s, actor, action, limit + 1, offset, cursor)
        more, rows = len(rows) > limit, rows[:limit]
        return Page[AuditEventOut](total=total, limit=limit, offset=offset,
                                   items=[AuditEventOut(**x) for x in rows],
                                   next=next_link(request, rows[-1]["id"]) if more else None)

    return r

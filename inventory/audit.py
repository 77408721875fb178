"""The audit log: every change by someone (acks, silences, maintenance, users, tokens,
inventory), with who, when, from which address, and the record before and after (JSON).

Inventory edits also keep their own history in ``inventory_change`` (issue 11); this table is
the one place that lists every kind of change, for ``GET /api/v1/audit``.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from provnet.inventory.auth_model import AuditEvent


@dataclass(frozen=True, slots=True)
class Who:
    """The author of a change: a user name (or ``cli:<login>``) and its address."""

    actor: str
    address: str | None = None


def _json(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, default=str,
                                                 sort_keys=True)


def record(s: Session, who: Who, action: str, target: str, before: Any = None,
           after: Any = None) -> None:
    """Add one event to the session (committed with the change itself)."""
    s.add(AuditEvent(at=dt.datetime.now(dt.UTC), actor=who.actor[:120],
                     address=(who.address or None) and who.address[:60], action=action[:40],
                     target=target[:300], before=_json(before), after=_json(after)))


def page(s: Session, actor: str | None = None, action: str | None = None, limit: int = 100,
         offset: int = 0, before_id: int | None = None) -> tuple[int, list[dict[str, Any]]]:
    """Events newest first, optionally of one actor or action, and only those older than
    event ``before_id`` (a cursor): (total of the filter, rows)."""
    q = select(AuditEvent)
    if actor:
        q = q.where(AuditEvent.actor == actor)
    if action:
        q = q.where(AuditEvent.action == action)
    total = s.scalar(select(func.count()).select_from(q.subquery())) or 0
    if before_id is not None:
        q = q.where(AuditEvent.id < before_id)
    rows = s.scalars(q.order_by(AuditEvent.id.desc()).limit(limit).offset(offset))
    return total, [{
        "id": e.id, "at": e.at if e.at.tzinfo else e.at.replace(tzinfo=dt.UTC),
        "actor": e.actor, "address": e.address, "action": e.action, "target": e.target,
        "before": json.loads(e.before) if e.before else None,
        "after": json.loads(e.after) if e.after else None} for e in rows]

"""The inventory version (a counter bumped by every change) and the audit trail."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from provnet.inventory import model


def current(s: Session) -> int:
    """The inventory version (0 before any recorded change)."""
    return int(s.scalar(select(model.InventoryState.version).where(
        model.InventoryState.id == 1)) or 0)


def bump(s: Session) -> int:
    """Count one change (in the caller's transaction); returns the new version."""
    now = dt.datetime.now(dt.UTC)
    row = s.get(model.InventoryState, 1)
    if row is None:
        row = model.InventoryState(id=1, version=0)
        s.add(row)
    row.version = (row.version or 0) + 1
    row.changed_at = now
    s.flush()
    return row.version


def record(s: Session, actor: str, kind: str, key: str, action: str,
           before: Mapping[str, object] | None, after: Mapping[str, object] | None) -> None:
    """One audit row: who changed what, when, before and after."""
    s.add(model.InventoryChange(
        at=dt.datetime.now(dt.UTC), actor=actor[:120], kind=kind[:20], key=key[:300],
        action=action,
        before=None if before is None else json.dumps(before, ensure_ascii=False, default=str),
        after=None if after is None else json.dumps(after, ensure_ascii=False, default=str)))

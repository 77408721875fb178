"""One object at a time (the inventory API): list with filters, detail, create, update and
delete with exactly the import's checks, each change audited and versioned.

Objects are the import's canonical records (same kinds, columns and natural keys as the CSV
files); :func:`typed` turns one into JSON values.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from provnet.inventory import version
from provnet.inventory.apply import apply_diff
from provnet.inventory.errors import InventoryError
from provnet.inventory.importer import KindDiff, plan_import
from provnet.inventory.io_spec import KINDS, Key, Row, Values, fmt_float
from provnet.inventory.search import matches
from provnet.inventory.snapshot import Snapshot, snapshot, sorted_records
from provnet.inventory.store import Store

SOURCE = "request"


class EditError(InventoryError):
    """A change refused: ``status`` 404 (no such object), 409 (conflict), 422 (invalid)."""

    def __init__(self, status: int, reasons: list[str]) -> None:
        super().__init__("; ".join(reasons))
        self.status, self.reasons = status, reasons


@dataclass(frozen=True)
class Filters:
    """List filters; all optional. ``q`` matches names and codes with or without diacritics."""

    district: str | None = None
    commune: str | None = None
    kind: str | None = None
    role: str | None = None
    q: str | None = None
    generation: str | None = None
    device: str | None = None
    site: str | None = None


def parse_key(kind: str, text: str) -> Key:
    """``"r1/ge-0/0/1"`` -> ``("r1", "ge-0/0/1")``: the last key part keeps its slashes."""
    parts = tuple(text.split("/", len(KINDS[kind].key) - 1))
    if len(parts) != len(KINDS[kind].key) or not all(parts[:-1]):
        raise EditError(404, [f"{kind} key is {'/'.join(KINDS[kind].key)}, got {text!r}"])
    return parts


def typed(kind: str, rec: Values) -> dict[str, Any]:
    """JSON values of a canonical record (numbers as numbers, blanks as null)."""
    out: dict[str, Any] = {}
    for c in KINDS[kind].columns:
        v = rec.get(c.name, "")
        if v == "":
            out[c.name] = None
        elif c.type in ("int", "kbps"):
            out[c.name] = int(v)
        elif c.type in ("float", "lat", "lon"):
            out[c.name] = float(v)
        elif c.type == "bool":
            out[c.name] = v == "true"
        else:
            out[c.name] = v
    return out


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return fmt_float(value)
    if isinstance(value, int | str):
        return str(value).strip()
    raise EditError(422, [f"expected a single value, got {type(value).__name__}"])


def _row(kind: str, body: Mapping[str, object]) -> Row:
    spec = KINDS[kind]
    unknown = sorted(set(body) - set(spec.names))
    if unknown:
        raise EditError(422, [f"unknown field(s) {', '.join(unknown)} for {kind} "
                              f"(fields: {', '.join(spec.names)})"])
    values = {c.name: _text(body.get(c.name)) for c in spec.columns}
    return Row(kind, SOURCE, 1, values, cols={c.name: i for i, c in enumerate(spec.columns, 1)})


def _site_of(snap: Snapshot, kind: str, rec: Values) -> Values | None:
    if kind == "sites":
        return rec
    site = rec.get("site")
    if site is None:
        dev = rec.get("device") or rec.get("side_a_device") or rec.get("name", "")
        d = snap["devices"].get((dev,))
        site = d["site"] if d else ""
    return snap["sites"].get((site,))


def _keep(snap: Snapshot, kind: str, rec: Values, f: Filters) -> bool:
    if f.generation and rec.get("generation", f.generation) != f.generation:
        return False
    if f.role and rec.get("role") != f.role:
        return False
    if f.kind and rec.get("kind") != f.kind and rec.get("level") != f.kind:
        return False
    if f.device and f.device not in (rec.get("device"), rec.get("side_a_device"),
                                     rec.get("side_b_device")):
        return False
    if f.site and f.site != rec.get("site", rec.get("code")):
        return False
    if f.district or f.commune:
        if kind == "contacts":  # its own districts (none: everywhere)
            scope = rec["districts"].split()
            if (f.district and scope and f.district not in scope) or f.commune:
                return False
        elif kind == "units":
            if (f.district and rec["parent"] != f.district and rec["code"] != f.district) or \
                    (f.commune and rec["code"] != f.commune):
                return False
        else:
            site = _site_of(snap, kind, rec)
            if site is None or (f.district and site["region"] != f.district) or \
                    (f.commune and site["commune"] != f.commune):
                return False
    if f.q:
        texts = [rec[c] for c in ("name", "code", "cid", "description", "operator") if c in rec]
        if not any(t and matches(f.q, t) for t in texts):
            return False
    return True


def list_records(store: Store, kind: str, f: Filters) -> list[dict[str, Any]]:
    """Every object of ``kind`` matching the filters, in natural key order."""
    needed = {kind, "sites", "devices"} if (f.district or f.commune) else {kind}
    with store.session() as s:
        snap = snapshot(s, tuple(k for k in KINDS if k in needed))
    recs = sorted_records({kind: snap[kind]})[kind]
    return [typed(kind, r) for r in recs if _keep(snap, kind, r, f)]


def get_record(store: Store, kind: str, key: Key) -> dict[str, Any]:
    """One object; :class:`EditError` 404 when there is none."""
    with store.session() as s:
        rec = snapshot(s, (kind,))[kind].get(key)
    if rec is None:
        raise EditError(404, [f"no {kind} {'/'.join(key)!r}"])
    return typed(kind, rec)


def _apply(store: Store, kind: str, rows: list[Row], prune: bool, actor: str,
           expect: str, key: Key, poller_groups: Collection[str] | None = None
           ) -> dict[str, Any] | None:
    with store.session() as s:
        snap = snapshot(s)
        before = snap[kind].get(key)
        if expect == "add" and before is not None:
            raise EditError(409, [f"{kind} {'/'.join(key)!r} already exists"])
        if expect != "add" and before is None:
            raise EditError(404, [f"no {kind} {'/'.join(key)!r}"])
        plan = plan_import(rows, snap, prune, poller_groups=poller_groups)
        if not plan.ok:
            status = 409 if expect == "remove" else 422
            raise EditError(status, [i.reason if i.source == SOURCE else
                                     i.reason.replace("removed by --prune", "deleted")
                                     for i in plan.issues])
        if not any(plan.diff.values()):
            return typed(kind, before) if before else None
        apply_diff(s, plan.diff)
        version.bump(s)
        d = plan.diff[kind]
        after = d.added.get(key) or (d.changed[key][1] if key in d.changed else None)
        if expect == "remove":
            after = None
        version.record(s, actor, kind, "/".join(key), expect, before, after)
        return typed(kind, after) if after else None


def create(store: Store, kind: str, body: Mapping[str, object], actor: str,
           poller_groups: Collection[str] | None = None) -> dict[str, Any]:
    """Add one object (409 if its key exists, 422 with every reason if invalid);
    ``poller_groups``: the ``cluster.groups`` names a ``poller_group`` must be one of."""
    row = _row(kind, body)
    key = tuple(row.values[k] for k in KINDS[kind].key)
    out = _apply(store, kind, [row], False, actor, "add", key, poller_groups)
    assert out is not None
    return out


def update(store: Store, kind: str, key: Key, body: Mapping[str, object],
           actor: str, poller_groups: Collection[str] | None = None) -> dict[str, Any]:
    """Change one object: given fields replace the stored ones (its key cannot change)."""
    current = get_record(store, kind, key)
    merged = {**current, **body}
    if tuple(_text(merged[k]) for k in KINDS[kind].key) != key:
        raise EditError(422, [f"the key ({', '.join(KINDS[kind].key)}) cannot change; "
                              "delete and create instead"])
    out = _apply(store, kind, [_row(kind, merged)], False, actor, "change", key,
                 poller_groups)
    return out if out is not None else current


def delete(store: Store, kind: str, key: Key, actor: str) -> None:
    """Remove one object (409 naming what still refers to it)."""
    with store.session() as s:
        recs = snapshot(s, (kind,))[kind]
    if key not in recs:
        raise EditError(404, [f"no {kind} {'/'.join(key)!r}"])
    rows = [Row(kind, "store", 0, r) for k, r in recs.items() if k != key]
    if rows:
        _apply(store, kind, rows, True, actor, "remove", key)
        return
    # the last one: an empty kind is never pruned, so it is removed explicitly
    with store.session() as s:
        snap = snapshot(s)
        before = snap[kind][key]
        plan = plan_import([], {**snap, kind: {}}, False)  # would the rest stay valid?
        if not plan.ok:
            raise EditError(409, [i.reason for i in plan.issues])
        apply_diff(s, {kind: KindDiff(removed={key: before})})
        version.bump(s)
        version.record(s, actor, kind, "/".join(key), "remove", before, None)


def changes(store: Store, kind: str | None = None, limit: int = 10000) -> list[dict[str, Any]]:
    """The audit trail, newest first (``before``/``after`` as objects)."""
    import json

    from sqlalchemy import select

    from provnet.inventory.model import InventoryChange as C

    stmt = select(C).order_by(C.id.desc()).limit(limit)
    if kind:
        stmt = stmt.where(C.kind == kind)
    with store.session() as s:
        return [{"id": c.id, "at": c.at.isoformat(), "actor": c.actor, "kind": c.kind,
                 "key": c.key, "action": c.action,
                 "before": json.loads(c.before) if c.before else None,
                 "after": json.loads(c.after) if c.after else None}
                for c in s.scalars(stmt)]

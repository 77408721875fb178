"""ifIndex by interface name: the inventory names ports, SNMP numbers them.

A device may renumber its ifTable after a reboot or a line-card change; the names it reports
(ifName, else ifDescr) stay. :func:`resolve` compares what the inventory holds with what a
poll saw; :func:`store_ifindexes` writes the corrections and bumps the inventory version.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from provnet.inventory import model, version


def seen_names(pairs: Iterable[tuple[int, str | None]]) -> dict[str, int]:
    """``(ifindex, name)`` pairs from a poll -> name -> ifindex; names seen twice (ambiguous)
    and empty names are left out."""
    pairs = [(i, n) for i, n in pairs if n]
    dup = {n for n, c in Counter(n for _, n in pairs).items() if c > 1}
    return {n: i for i, n in pairs if n is not None and n not in dup}


def resolve(expected: Mapping[str, int | None], seen: Mapping[str, int]) -> dict[str, int]:
    """Interface name -> the ifIndex SNMP reports for it, for every inventory interface whose
    stored ifIndex is missing or different (names SNMP does not report are left alone)."""
    return {name: seen[name] for name, idx in expected.items()
            if name in seen and seen[name] != idx}


def device_ifindexes(s: Session, device_ids: Iterable[int] | None = None
                     ) -> dict[int, dict[str, int | None]]:
    """device id -> interface name -> stored ifIndex."""
    stmt = select(model.Interface.device_id, model.Interface.name, model.Interface.ifindex)
    if device_ids is not None:
        stmt = stmt.where(model.Interface.device_id.in_(list(device_ids)))
    out: dict[int, dict[str, int | None]] = {}
    for dev, name, idx in s.execute(stmt):
        out.setdefault(dev, {})[name] = idx
    return out


def store_ifindexes(s: Session, device_id: int, changes: Mapping[str, int]) -> int:
    """Set the ifIndexes of ``device_id``'s named interfaces (an interface holding one of the
    new numbers under another name loses it first); returns how many rows changed."""
    if not changes:
        return 0
    iface = model.Interface
    rows = s.execute(select(iface.id, iface.name, iface.ifindex)
                     .where(iface.device_id == device_id)).all()
    by_name = {name: (pk, idx) for pk, name, idx in rows}
    taken = set(changes.values())
    freed = [pk for pk, name, idx in rows if idx in taken and changes.get(name) != idx]
    moving = [by_name[n][0] for n in changes if n in by_name]
    if freed or moving:
        s.execute(update(iface).where(iface.id.in_(freed + moving)).values(ifindex=None))
    ups = [{"id": by_name[n][0], "ifindex": i} for n, i in changes.items() if n in by_name]
    if ups:
        s.execute(update(iface), ups)
        version.bump(s)
        version.record(s, "snmp", "interfaces", str(device_id), "ifindex",
                       {n: by_name[n][1] for n in changes if n in by_name},
                       {n: changes[n] for n in changes if n in by_name})
    return len(ups)

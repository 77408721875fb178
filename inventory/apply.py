"""Write an import's diff to the store, in one transaction (the caller's session).

Bulk statements per kind (inserts, updates by primary key, deletes), removals first (in
reverse reference order) so that freed link ends and ifIndexes can be reused by the rows
that follow. Derived columns (``name_folded``, ``short_name``, ``unit_type``) are computed.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from provnet.inventory import model
from provnet.inventory.importer import KindDiff
from provnet.inventory.io_spec import ORDER, Key, Values
from provnet.inventory.names import split_unit_name
from provnet.inventory.search import fold

Params = dict[str, Any]
CHUNK = 500


def _f(x: str) -> float | None:
    return float(x) if x else None


def _i(x: str) -> int | None:
    return int(x) if x else None


def _mbps(x: str) -> int | None:
    return int(x) // 1000 if x else None


def _n(x: str) -> str | None:
    return x or None


def _d(x: str) -> dt.date | None:
    return dt.date.fromisoformat(x) if x else None


def _chunks(items: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), CHUNK):
        yield items[i:i + CHUNK]


class _Ids:
    """Natural key -> primary key maps, read from the session when first needed."""

    def __init__(self, s: Session) -> None:
        self.s = s
        self._cache: dict[str, dict[Key, int]] = {}

    def reset(self, *kinds: str) -> None:
        for k in kinds:
            self._cache.pop(k, None)

    def __call__(self, kind: str) -> dict[Key, int]:
        if kind not in self._cache:
            self._cache[kind] = self._load(kind)
        return self._cache[kind]

    def _load(self, kind: str) -> dict[Key, int]:
        s, m = self.s, model
        if kind == "units":
            return {(g, c): i for i, g, c in s.execute(select(
                m.AdminUnit.id, m.AdminUnit.generation, m.AdminUnit.code))}
        if kind == "unit_code":  # any generation, legacy first (sites keep legacy units)
            out: dict[Key, int] = {}
            for (_g, c), i in sorted(self("units").items(), key=lambda kv: kv[0][0] == "legacy"):
                out[(c,)] = i
            return out
        if kind == "unit_mappings":
            return {(str(o), str(n)): i for i, o, n in s.execute(select(
                m.AdminUnitMapping.id, m.AdminUnitMapping.old_unit_id,
                m.AdminUnitMapping.new_unit_id))}
        if kind == "sites":
            return {(c,): i for i, c in s.execute(select(m.Site.id, m.Site.code))}
        if kind == "devices":
            return {(h,): i for i, h in s.execute(select(m.Device.id, m.Device.hostname))}
        if kind == "interfaces":
            return {(h, n): i for i, h, n in s.execute(select(
                m.Interface.id, m.Device.hostname, m.Interface.name).join(m.Device))}
        if kind == "links":
            return {(h, n): i for i, h, n in s.execute(select(
                m.Link.id, m.Device.hostname, m.Interface.name)
                .join(m.Interface, m.Link.a_interface_id == m.Interface.id).join(m.Device))}
        if kind == "bts":
            return {(c, o): i for i, c, o in s.execute(select(
                m.Bts.id, m.Site.code, m.Bts.operator).join(m.Site))}
        if kind == "fibre_points":
            return {(c,): i for i, c in s.execute(select(m.FibrePoint.id, m.Site.code)
                                                  .join(m.Site))}
        if kind == "contacts":
            return {(n,): i for i, n in s.execute(select(m.Contact.id, m.Contact.name))}
        raise KeyError(kind)


def _unit(r: Values, ids: _Ids) -> Params:
    short, utype = split_unit_name(r["name"])
    return {"generation": r["generation"], "level": r["level"], "code": r["code"],
            "name": r["name"], "short_name": short, "unit_type": utype,
            "name_folded": fold(r["name"]), "valid_from": _d(r["valid_from"]),
            "valid_to": _d(r["valid_to"]), "lat": _f(r["latitude"]), "lon": _f(r["longitude"]),
            "area_km2": _f(r["area_km2"]), "boundary_wkt": _n(r["boundary_wkt"]),
            "boundary_synthetic": r["boundary_synthetic"] == "true"}


def _mapping(r: Values, ids: _Ids) -> Params:
    return {"old_unit_id": ids("units")[("legacy", r["old_code"])],
            "new_unit_id": ids("units")[("2025", r["new_code"])],
            "whole": r["whole"] != "false", "is_default": r["is_default"] != "false"}


def _site(r: Values, ids: _Ids) -> Params:
    units = ids("unit_code")
    return {"code": r["code"], "name": r["name"], "name_folded": fold(r["name"]),
            "kind": r["kind"], "lat": float(r["latitude"]), "lon": float(r["longitude"]),
            "location_synthetic": r["location_synthetic"] == "true",
            "commune_id": units.get((r["commune"],)), "district_id": units.get((r["region"],)),
            "contact": _n(r["contact"]), "poller_group": _n(r["poller_group"])}


def _device(r: Values, ids: _Ids) -> Params:
    return {"hostname": r["name"], "site_id": ids("sites")[(r["site"],)], "role": r["role"],
            "vendor": r["manufacturer"], "platform": r["platform"],
            "mgmt_address": r["primary_ip4"], "snmp_profile": _n(r["snmp_profile"]),
            "ssh_profile": _n(r["ssh_profile"]), "poller_group": _n(r["poller_group"])}


def _interface(r: Values, ids: _Ids) -> Params:
    return {"device_id": ids("devices")[(r["device"],)], "name": r["name"],
            "speed_mbps": _mbps(r["speed"]), "description": _n(r["description"]),
            "ifindex": _i(r["ifindex"])}


def _link(r: Values, ids: _Ids) -> Params:
    ifs = ids("interfaces")
    return {"a_interface_id": ifs[(r["side_a_device"], r["side_a_name"])],
            "z_interface_id": ifs[(r["side_b_device"], r["side_b_name"])],
            "kind": r["kind"], "capacity_mbps": _mbps(r["commit_rate"]) or 0,
            "provider": _n(r["provider"]), "circuit_id": _n(r["cid"])}


def _fibre(r: Values, ids: _Ids) -> Params:
    return {"site_id": ids("sites")[(r["site"],)], "operator": r["operator"],
            "kind": r["kind"], "ports": _i(r["ports"])}


def _contact(r: Values, ids: _Ids) -> Params:
    return {"name": r["name"], "role": _n(r["role"]), "phone": _n(r["phone"]),
            "email": _n(r["email"]), "chat_id": _n(r["chat_id"]), "language": r["language"],
            "districts": r["districts"], "sites": r["sites"],
            "escalation_level": int(r["escalation_level"]), "on_call": _n(r["on_call"])}


def _sector(r: Values, bts_id: int) -> Params:
    return {"bts_id": bts_id, "technology": r["technology"], "band_mhz": int(r["band_mhz"]),
            "azimuth_deg": float(r["azimuth_deg"]), "beamwidth_deg": float(r["beamwidth_deg"]),
            "height_m": float(r["height_m"]), "power_dbm": _f(r["power_dbm"]),
            "range_m": _f(r["range_m"])}


SIMPLE: dict[str, tuple[type[model.Base], Callable[[Values, _Ids], Params]]] = {
    "units": (model.AdminUnit, _unit), "unit_mappings": (model.AdminUnitMapping, _mapping),
    "sites": (model.Site, _site), "devices": (model.Device, _device),
    "interfaces": (model.Interface, _interface), "links": (model.Link, _link),
    "fibre_points": (model.FibrePoint, _fibre), "contacts": (model.Contact, _contact),
}


def _key_ids(kind: str, keys: Iterable[Key], ids: _Ids) -> list[int]:
    if kind == "unit_mappings":
        units = ids("units")
        table = ids("unit_mappings")
        return [table[(str(units[("legacy", o)]), str(units[("2025", n)]))] for o, n in keys]
    table = ids(kind)
    return [table[k] for k in keys]


def _sectors_by_bts(s: Session) -> dict[int, list[int]]:
    out: dict[int, list[int]] = defaultdict(list)
    for sid, bid in s.execute(select(model.Sector.id, model.Sector.bts_id)
                              .order_by(model.Sector.id)):
        out[bid].append(sid)
    return out


def _remove(s: Session, kind: str, d: KindDiff, ids: _Ids) -> None:
    if kind == "bts":
        bts_ids = ids("bts")
        sectors = _sectors_by_bts(s)
        gone_sectors = [sectors[bts_ids[k[:2]]][int(k[2]) - 1] for k in d.removed if k[2]]
        kept = {k[:2] for k in ids("bts")} - {k[:2] for k in d.removed}
        kept |= {k[:2] for k in d.added} | {k[:2] for k in d.changed}
        left = {bts_ids[k[:2]] for k in d.removed} - {bts_ids[k] for k in kept if k in bts_ids}
        for part in _chunks(gone_sectors):
            s.execute(delete(model.Sector).where(model.Sector.id.in_(part)))
        for part in _chunks(sorted(left)):
            s.execute(delete(model.Sector).where(model.Sector.bts_id.in_(part)))
            s.execute(delete(model.Bts).where(model.Bts.id.in_(part)))
        return
    table = SIMPLE[kind][0]
    keys = list(d.removed)
    if kind == "units":  # children before parents
        rank = {"commune": 0, "district": 1, "province": 2}
        keys.sort(key=lambda k: rank.get(d.removed[k]["level"], 3))
    for part in _chunks(_key_ids(kind, keys, ids)):
        s.execute(delete(table).where(table.id.in_(part)))  # type: ignore[attr-defined]


def _upsert(s: Session, kind: str, d: KindDiff, ids: _Ids) -> None:
    if kind == "bts":
        _upsert_bts(s, d, ids)
        return
    table, params = SIMPLE[kind]
    if kind == "units":
        rows = [_unit(r, ids) for r in d.added.values()]
        if rows:
            s.execute(insert(table), rows)
        ids.reset("units", "unit_code")
        units = ids("units")
        ups = [{"id": units[k], "parent_id": units.get((r["generation"], r["parent"]))}
               for k, r in d.added.items()]
        ups += [{"id": units[k], **_unit(r, ids),
                 "parent_id": units.get((r["generation"], r["parent"]))}
                for k, (_, r) in d.changed.items()]
        if ups:
            s.execute(update(table), ups)
        return
    if d.changed:
        table_ids = ids(kind) if kind != "unit_mappings" else {}
        ups = []
        for k, (_old, new) in d.changed.items():
            pk = table_ids[k] if table_ids else _key_ids(kind, [k], ids)[0]
            ups.append({"id": pk, **params(new, ids)})
        if kind == "interfaces":  # free the ifIndexes first (a renumbering swaps them)
            s.execute(update(table), [{"id": u["id"], "ifindex": None} for u in ups])
        s.execute(update(table), ups)
    if d.added:
        s.execute(insert(table), [params(r, ids) for r in d.added.values()])
    ids.reset(kind)


def _upsert_bts(s: Session, d: KindDiff, ids: _Ids) -> None:
    sites = ids("sites")
    pairs = {k[:2] for k in (*d.added, *d.changed)}
    new = sorted(p for p in pairs if p not in ids("bts"))
    if new:
        s.execute(insert(model.Bts), [{"site_id": sites[(c,)], "operator": o} for c, o in new])
        ids.reset("bts")
    bts = ids("bts")
    sectors = _sectors_by_bts(s)
    ups = [{"id": sectors[bts[k[:2]]][int(k[2]) - 1], **_sector(new_r, bts[k[:2]])}
           for k, (_, new_r) in d.changed.items() if k[2]]
    if ups:
        s.execute(update(model.Sector), ups)
    adds = sorted((k for k in d.added if k[2]), key=lambda k: (k[0], k[1], int(k[2])))
    if adds:
        s.execute(insert(model.Sector), [_sector(d.added[k], bts[k[:2]]) for k in adds])


def apply_diff(s: Session, diff: dict[str, KindDiff]) -> None:
    """Write ``diff`` in the session's transaction (removals first, then in kind order)."""
    ids = _Ids(s)
    for kind in reversed(ORDER):
        if kind in diff and diff[kind].removed:
            _remove(s, kind, diff[kind], ids)
            ids.reset(kind, "unit_code" if kind == "units" else kind)
    for kind in ORDER:
        if kind in diff and (diff[kind].added or diff[kind].changed):
            _upsert(s, kind, diff[kind], ids)

"""NetBox 4.x objects (as its REST API returns them) -> import rows (pure).

* sites: ``slug`` is the site code (custom field ``provnet_code`` wins), ``name``,
  ``latitude``/``longitude`` (a site without coordinates is an issue), ``region.slug`` as the
  district code, custom fields ``provnet_kind`` (default ``pop``), ``provnet_commune`` and
  ``provnet_poller_group``;
* devices: **active only**; ``role.slug``, ``platform.slug``, ``device_type.manufacturer.slug``,
  ``primary_ip4.address``; the SNMP/SSH profile from custom fields ``provnet_snmp_profile`` /
  ``provnet_ssh_profile``, else ``config_context.provnet.snmp_profile`` / ``ssh_profile``;
  the poller node group from custom field ``provnet_poller_group``;
* interfaces of those devices: ``name``, ``speed`` (kbit/s, as provnet's files), ``description``;
* cables between two interfaces -> links (A side = downstream end); the capacity from custom
  field ``provnet_commit_rate`` (kbit/s), else the slower interface, else 1 Gbit/s;
* circuits whose A and Z terminations are cabled to interfaces -> links with ``cid``,
  ``provider.name`` and ``commit_rate``.

Deletions come from the change log (``/api/core/object-changes/``): :func:`deleted_keys`
turns them into natural keys, with the NetBox-id -> key map kept between runs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from provnet.inventory.io_spec import KINDS, Issue, Key, Row

Obj = Mapping[str, Any]
DEFAULT_KBPS = 1_000_000


@dataclass
class NetboxData:
    """What one sync fetched (full, or changed since the last sync)."""

    sites: list[Obj] = field(default_factory=list)
    devices: list[Obj] = field(default_factory=list)
    interfaces: list[Obj] = field(default_factory=list)
    cables: list[Obj] = field(default_factory=list)
    circuits: list[Obj] = field(default_factory=list)
    terminations: list[Obj] = field(default_factory=list)
    changes: list[Obj] = field(default_factory=list)


@dataclass
class IdMap:
    """NetBox ids -> provnet natural keys, kept between runs (for deletions)."""

    sites: dict[str, str] = field(default_factory=dict)
    devices: dict[str, str] = field(default_factory=dict)
    interfaces: dict[str, list[str]] = field(default_factory=dict)
    links: dict[str, list[str]] = field(default_factory=dict)  # "cable:ID" / "circuit:ID"


def _get(obj: Obj | None, *path: str) -> Any:
    cur: Any = obj
    for p in path:
        if not isinstance(cur, Mapping):
            return None
        cur = cur.get(p)
    return cur


def _s(x: Any) -> str:
    return "" if x is None else str(x)


def _row(kind: str, src: str, n: int, values: dict[str, str]) -> Row:
    full = {c: values.get(c, "") for c in KINDS[kind].names}
    return Row(kind, src, n, full)


def _site(o: Obj) -> dict[str, str]:
    cf = o.get("custom_fields") or {}
    return {"code": _s(cf.get("provnet_code") or o.get("slug")), "name": _s(o.get("name")),
            "kind": _s(cf.get("provnet_kind") or "pop"), "latitude": _s(o.get("latitude")),
            "longitude": _s(o.get("longitude")), "region": _s(_get(o, "region", "slug")),
            "commune": _s(cf.get("provnet_commune")),
            "poller_group": _s(cf.get("provnet_poller_group"))}


def _profile(o: Obj, name: str) -> str:
    cf = o.get("custom_fields") or {}
    return _s(cf.get(f"provnet_{name}") or _get(o, "config_context", "provnet", name))


def _is_active(o: Obj) -> bool:
    return _get(o, "status", "value") == "active"


def _iface_end(term: Obj) -> tuple[str, str] | None:
    if term.get("object_type") != "dcim.interface":
        return None
    obj = term.get("object") or {}
    dev, name = _get(obj, "device", "name"), obj.get("name")
    return (str(dev), str(name)) if dev and name else None


def netbox_rows(data: NetboxData, ids: IdMap, site_codes: Mapping[str, str] | None = None,
                speeds: Mapping[tuple[str, str], str] | None = None,
                ) -> tuple[list[Row], list[Issue]]:
    """Import rows of the fetched objects; ``ids`` is updated with what they map to.

    ``site_codes``: NetBox site slug -> provnet code of sites not fetched this time (an
    incremental run); ``speeds``: known interface speeds (kbit/s) for cable capacities.
    """
    rows: list[Row] = []
    issues: list[Issue] = []
    codes = dict(site_codes or {})
    for n, o in enumerate(data.sites, 1):
        v = _site(o)
        codes[_s(o.get("slug"))] = v["code"]
        ids.sites[str(o.get("id"))] = v["code"]
        if not v["latitude"] or not v["longitude"]:
            issues.append(Issue("netbox:dcim/sites", n, 0,
                                f"site {v['code']!r} has no latitude/longitude in NetBox"))
            continue
        rows.append(_row("sites", "netbox:dcim/sites", n, v))
    active: set[str] = set()
    for n, o in enumerate(data.devices, 1):
        if not _is_active(o):
            continue
        name = _s(o.get("name"))
        active.add(name)
        ids.devices[str(o.get("id"))] = name
        slug = _s(_get(o, "site", "slug"))
        site = ids.sites.get(str(_get(o, "site", "id"))) or codes.get(slug, slug)
        rows.append(_row("devices", "netbox:dcim/devices", n, {
            "name": name, "site": site, "role": _s(_get(o, "role", "slug")),
            "manufacturer": _s(_get(o, "device_type", "manufacturer", "slug")),
            "platform": _s(_get(o, "platform", "slug")),
            "primary_ip4": _s(_get(o, "primary_ip4", "address")),
            "snmp_profile": _profile(o, "snmp_profile"),
            "ssh_profile": _profile(o, "ssh_profile"),
            "poller_group": _s((o.get("custom_fields") or {}).get("provnet_poller_group"))}))
    known = set(active) | set(ids.devices.values())
    speed = dict(speeds or {})
    for n, o in enumerate(data.interfaces, 1):
        dev = _s(_get(o, "device", "name"))
        if dev not in known:
            continue  # an interface of an inactive device
        name = _s(o.get("name"))
        ids.interfaces[str(o.get("id"))] = [dev, name]
        speed[(dev, name)] = _s(o.get("speed"))
        rows.append(_row("interfaces", "netbox:dcim/interfaces", n, {
            "device": dev, "name": name, "speed": _s(o.get("speed")),
            "description": _s(o.get("description"))}))
    rows += _cable_rows(data.cables, ids, known, speed)
    rows += _circuit_rows(data.circuits, data.terminations, ids, known)
    return rows, issues


def _capacity(a: tuple[str, str], b: tuple[str, str], speed: Mapping[tuple[str, str], str],
              cf: Obj) -> str:
    given = cf.get("provnet_commit_rate")
    if given:
        return _s(given)
    known = [int(speed[e]) for e in (a, b) if speed.get(e)]
    return str(min(known)) if known else str(DEFAULT_KBPS)


def _cable_rows(cables: Iterable[Obj], ids: IdMap, known: set[str],
                speed: Mapping[tuple[str, str], str]) -> list[Row]:
    rows = []
    for n, o in enumerate(cables, 1):
        a_t, b_t = o.get("a_terminations") or [], o.get("b_terminations") or []
        if len(a_t) != 1 or len(b_t) != 1:
            continue
        a, b = _iface_end(a_t[0]), _iface_end(b_t[0])
        if a is None or b is None or a[0] not in known or b[0] not in known:
            continue  # to a circuit termination, a front port, an inactive device...
        ids.links[f"cable:{o.get('id')}"] = list(a)
        rows.append(_row("links", "netbox:dcim/cables", n, {
            "side_a_device": a[0], "side_a_name": a[1], "side_b_device": b[0],
            "side_b_name": b[1], "kind": _s(o.get("type") or "cable"),
            "commit_rate": _capacity(a, b, speed, o.get("custom_fields") or {}),
            "cid": _s((o.get("custom_fields") or {}).get("provnet_cid"))}))
    return rows


def _circuit_rows(circuits: Iterable[Obj], terminations: Iterable[Obj], ids: IdMap,
                  known: set[str]) -> list[Row]:
    ends: dict[str, dict[str, tuple[str, str]]] = {}
    for t in terminations:
        peers = t.get("link_peers") or []
        if t.get("link_peers_type") != "dcim.interface" or len(peers) != 1:
            continue
        dev, name = _get(peers[0], "device", "name"), peers[0].get("name")
        if dev and name:
            ends.setdefault(str(_get(t, "circuit", "id")), {})[_s(t.get("term_side"))] = (
                str(dev), str(name))
    rows = []
    for n, c in enumerate(circuits, 1):
        e = ends.get(str(c.get("id")), {})
        a, z = e.get("A"), e.get("Z")
        if a is None or z is None or a[0] not in known or z[0] not in known:
            continue
        ids.links[f"circuit:{c.get('id')}"] = list(a)
        rows.append(_row("links", "netbox:circuits/circuits", n, {
            "side_a_device": a[0], "side_a_name": a[1], "side_b_device": z[0],
            "side_b_name": z[1], "kind": _s(_get(c, "type", "slug") or "circuit"),
            "commit_rate": _s(c.get("commit_rate") or DEFAULT_KBPS),
            "provider": _s(_get(c, "provider", "name")), "cid": _s(c.get("cid"))}))
    return rows


def deleted_keys(changes: Iterable[Obj], ids: IdMap) -> dict[str, set[Key]]:
    """Natural keys of the objects the change log says were deleted (by kind)."""
    out: dict[str, set[Key]] = {k: set() for k in ("sites", "devices", "interfaces", "links")}
    for ch in changes:
        if _get(ch, "action", "value") != "delete":
            continue
        typ, oid = ch.get("changed_object_type"), str(ch.get("changed_object_id"))
        pre = ch.get("prechange_data") or {}
        if typ == "dcim.site":
            code = ids.sites.pop(oid, None) or _s((pre.get("custom_fields") or {}).get(
                "provnet_code") or pre.get("slug"))
            out["sites"].add((code,))
        elif typ == "dcim.device":
            name = ids.devices.pop(oid, None) or _s(pre.get("name"))
            out["devices"].add((name,))
        elif typ == "dcim.interface" and oid in ids.interfaces:
            out["interfaces"].add(tuple(ids.interfaces.pop(oid)))
        elif typ in ("dcim.cable", "circuits.circuit"):
            key = ids.links.pop(f"{'cable' if typ == 'dcim.cable' else 'circuit'}:{oid}", None)
            if key:
                out["links"].add(tuple(key))
    return {k: v for k, v in out.items() if v}

"""The store as canonical records per kind (what export writes and what an import is
compared with). Derived columns (``name_folded``, ``short_name``, ``unit_type``) are left out:
they are computed from the name on import."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from provnet.inventory import model
from provnet.inventory.io_spec import KINDS, Key, Values, fmt_bool, fmt_float

Snapshot = dict[str, dict[Key, Values]]


def _s(x: object) -> str:
    if x is None:
        return ""
    if isinstance(x, bool):
        return fmt_bool(x)
    if isinstance(x, float):
        return fmt_float(x)
    if hasattr(x, "isoformat"):
        return str(x.isoformat())
    return str(x)


def _kbps(mbps: int | None) -> str:
    return "" if mbps is None else str(mbps * 1000)


def key_of(kind: str, rec: Values) -> Key:
    """The natural key of a canonical record."""
    return tuple(rec[k] for k in KINDS[kind].key)


def _units(s: Session) -> list[Values]:
    u, p = model.AdminUnit, aliased(model.AdminUnit)
    return [{"generation": a.generation, "level": a.level, "code": a.code, "name": a.name,
             "parent": _s(pc), "valid_from": _s(a.valid_from), "valid_to": _s(a.valid_to),
             "latitude": _s(a.lat), "longitude": _s(a.lon), "area_km2": _s(a.area_km2),
             "boundary_synthetic": _s(bool(a.boundary_synthetic)),
             "boundary_wkt": _s(a.boundary_wkt)}
            for a, pc in s.execute(select(u, p.code).outerjoin(p, u.parent_id == p.id))]


def _mappings(s: Session) -> list[Values]:
    o, n = aliased(model.AdminUnit), aliased(model.AdminUnit)
    m = model.AdminUnitMapping
    rows = s.execute(select(m, o.code, n.code).join(o, m.old_unit_id == o.id)
                     .join(n, m.new_unit_id == n.id))
    return [{"old_code": oc, "new_code": nc, "whole": _s(bool(r.whole)),
             "is_default": _s(bool(r.is_default))} for r, oc, nc in rows]


def _sites(s: Session) -> list[Values]:
    c, d = aliased(model.AdminUnit), aliased(model.AdminUnit)
    st = model.Site
    rows = s.execute(select(st, d.code, c.code).outerjoin(c, st.commune_id == c.id)
                     .outerjoin(d, st.district_id == d.id))
    return [{"code": x.code, "name": x.name, "kind": x.kind, "latitude": _s(x.lat),
             "longitude": _s(x.lon), "region": _s(dc), "commune": _s(cc),
             "location_synthetic": _s(bool(x.location_synthetic)), "contact": _s(x.contact)}
            for x, dc, cc in rows]


def _devices(s: Session) -> list[Values]:
    rows = s.execute(select(model.Device, model.Site.code).join(model.Site))
    return [{"name": d.hostname, "site": sc, "role": d.role, "manufacturer": d.vendor,
             "platform": d.platform, "primary_ip4": d.mgmt_address,
             "snmp_profile": _s(d.snmp_profile), "ssh_profile": _s(d.ssh_profile)}
            for d, sc in rows]


def _interfaces(s: Session) -> list[Values]:
    rows = s.execute(select(model.Interface, model.Device.hostname).join(model.Device))
    return [{"device": h, "name": i.name, "speed": _kbps(i.speed_mbps),
             "description": _s(i.description), "ifindex": _s(i.ifindex)} for i, h in rows]


def _links(s: Session) -> list[Values]:
    ai, zi = aliased(model.Interface), aliased(model.Interface)
    ad, zd = aliased(model.Device), aliased(model.Device)
    lk = model.Link
    rows = s.execute(select(lk, ad.hostname, ai.name, zd.hostname, zi.name)
                     .join(ai, lk.a_interface_id == ai.id).join(ad, ai.device_id == ad.id)
                     .join(zi, lk.z_interface_id == zi.id).join(zd, zi.device_id == zd.id))
    return [{"side_a_device": a_h, "side_a_name": a_n, "side_b_device": z_h,
             "side_b_name": z_n, "kind": r.kind, "commit_rate": _kbps(r.capacity_mbps),
             "provider": _s(r.provider), "cid": _s(r.circuit_id)}
            for r, a_h, a_n, z_h, z_n in rows]


def _bts(s: Session) -> list[Values]:
    sectors: dict[int, list[model.Sector]] = defaultdict(list)
    for sec in s.scalars(select(model.Sector).order_by(model.Sector.id)):
        sectors[sec.bts_id].append(sec)
    out: list[Values] = []
    blank = dict.fromkeys(("sector", "technology", "band_mhz", "azimuth_deg", "beamwidth_deg",
                           "height_m", "power_dbm", "range_m"), "")
    for b, sc in s.execute(select(model.Bts, model.Site.code).join(model.Site)):
        if not sectors[b.id]:
            out.append({"site": sc, "operator": b.operator, **blank})
        for n, x in enumerate(sectors[b.id], 1):
            out.append({"site": sc, "operator": b.operator, "sector": str(n),
                        "technology": x.technology, "band_mhz": _s(x.band_mhz),
                        "azimuth_deg": _s(x.azimuth_deg), "beamwidth_deg": _s(x.beamwidth_deg),
                        "height_m": _s(x.height_m), "power_dbm": _s(x.power_dbm),
                        "range_m": _s(x.range_m)})
    return out


def _fibre(s: Session) -> list[Values]:
    rows = s.execute(select(model.FibrePoint, model.Site.code).join(model.Site))
    return [{"site": sc, "operator": f.operator, "kind": f.kind, "ports": _s(f.ports)}
            for f, sc in rows]


READERS: dict[str, Callable[[Session], list[Values]]] = {
    "units": _units, "unit_mappings": _mappings, "sites": _sites, "devices": _devices,
    "interfaces": _interfaces, "links": _links, "bts": _bts, "fibre_points": _fibre,
}


def snapshot(s: Session, kinds: tuple[str, ...] = tuple(KINDS)) -> Snapshot:
    """Canonical records of ``kinds`` in the store, keyed by natural key."""
    return {k: {key_of(k, r): r for r in READERS[k](s)} for k in kinds}


def sorted_records(snap: Snapshot) -> dict[str, list[Values]]:
    """Records per kind in a stable order (natural key; numbers compared as numbers)."""
    def order(key: Key) -> tuple[tuple[int, int | str], ...]:
        return tuple((0, int(p)) if p.isdigit() else (1, p) for p in key)
    return {k: [recs[key] for key in sorted(recs, key=order)] for k, recs in snap.items()}

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
    rows = s.execute(select(u.generation, u.level, u.code, u.name, p.code, u.valid_from,
                            u.valid_to, u.lat, u.lon, u.area_km2, u.boundary_synthetic,
                            u.boundary_wkt).outerjoin(p, u.parent_id == p.id))
    return [{"generation": g, "level": lv, "code": c, "name": n, "parent": _s(pc),
             "valid_from": _s(vf), "valid_to": _s(vt), "latitude": _s(la), "longitude": _s(lo),
             "area_km2": _s(ar), "boundary_synthetic": _s(bool(bs)), "boundary_wkt": _s(wkt)}
            for g, lv, c, n, pc, vf, vt, la, lo, ar, bs, wkt in rows]


def _mappings(s: Session) -> list[Values]:
    o, n = aliased(model.AdminUnit), aliased(model.AdminUnit)
    m = model.AdminUnitMapping
    rows = s.execute(select(o.code, n.code, m.whole, m.is_default)
                     .join(o, m.old_unit_id == o.id).join(n, m.new_unit_id == n.id))
    return [{"old_code": oc, "new_code": nc, "whole": _s(bool(w)), "is_default": _s(bool(d))}
            for oc, nc, w, d in rows]


def _sites(s: Session) -> list[Values]:
    c, d = aliased(model.AdminUnit), aliased(model.AdminUnit)
    st = model.Site
    rows = s.execute(select(st.code, st.name, st.kind, st.lat, st.lon, d.code, c.code,
                            st.location_synthetic, st.contact, st.poller_group)
                     .outerjoin(c, st.commune_id == c.id).outerjoin(d, st.district_id == d.id))
    return [{"code": code, "name": name, "kind": kind, "latitude": _s(la), "longitude": _s(lo),
             "region": _s(dc), "commune": _s(cc), "location_synthetic": _s(bool(syn)),
             "contact": _s(contact), "poller_group": _s(group)}
            for code, name, kind, la, lo, dc, cc, syn, contact, group in rows]


def _devices(s: Session) -> list[Values]:
    d = model.Device
    rows = s.execute(select(d.hostname, model.Site.code, d.role, d.vendor, d.platform,
                            d.mgmt_address, d.snmp_profile, d.ssh_profile, d.poller_group)
                     .join(model.Site))
    return [{"name": h, "site": sc, "role": r, "manufacturer": v, "platform": p,
             "primary_ip4": ip, "snmp_profile": _s(sp), "ssh_profile": _s(ss),
             "poller_group": _s(pg)}
            for h, sc, r, v, p, ip, sp, ss, pg in rows]


def _interfaces(s: Session) -> list[Values]:
    i = model.Interface
    rows = s.execute(select(model.Device.hostname, i.name, i.speed_mbps, i.description,
                            i.ifindex).join(model.Device))
    return [{"device": h, "name": n, "speed": _kbps(sp), "description": _s(de),
             "ifindex": _s(ix)} for h, n, sp, de, ix in rows]


def _links(s: Session) -> list[Values]:
    ai, zi = aliased(model.Interface), aliased(model.Interface)
    ad, zd = aliased(model.Device), aliased(model.Device)
    lk = model.Link
    rows = s.execute(select(ad.hostname, ai.name, zd.hostname, zi.name, lk.kind,
                            lk.capacity_mbps, lk.provider, lk.circuit_id)
                     .join(ai, lk.a_interface_id == ai.id).join(ad, ai.device_id == ad.id)
                     .join(zi, lk.z_interface_id == zi.id).join(zd, zi.device_id == zd.id))
    return [{"side_a_device": a_h, "side_a_name": a_n, "side_b_device": z_h,
             "side_b_name": z_n, "kind": k, "commit_rate": _kbps(cap),
             "provider": _s(prov), "cid": _s(cid)}
            for a_h, a_n, z_h, z_n, k, cap, prov, cid in rows]


def _bts(s: Session) -> list[Values]:
    x = model.Sector
    sectors: dict[int, list[tuple[object, ...]]] = defaultdict(list)
    for row in s.execute(select(x.bts_id, x.technology, x.band_mhz, x.azimuth_deg,
                                x.beamwidth_deg, x.height_m, x.power_dbm, x.range_m)
                         .order_by(x.id)):
        sectors[row[0]].append(tuple(row[1:]))
    out: list[Values] = []
    blank = dict.fromkeys(("sector", "technology", "band_mhz", "azimuth_deg", "beamwidth_deg",
                           "height_m", "power_dbm", "range_m"), "")
    for bid, op, sc in s.execute(select(model.Bts.id, model.Bts.operator, model.Site.code)
                                 .join(model.Site)):
        if not sectors[bid]:
            out.append({"site": sc, "operator": op, **blank})
        for n, (tech, band, az, bw, h, pw, rg) in enumerate(sectors[bid], 1):
            out.append({"site": sc, "operator": op, "sector": str(n), "technology": str(tech),
                        "band_mhz": _s(band), "azimuth_deg": _s(az), "beamwidth_deg": _s(bw),
                        "height_m": _s(h), "power_dbm": _s(pw), "range_m": _s(rg)})
    return out


def _fibre(s: Session) -> list[Values]:
    f = model.FibrePoint
    rows = s.execute(select(model.Site.code, f.operator, f.kind, f.ports).join(model.Site))
    return [{"site": sc, "operator": op, "kind": k, "ports": _s(p)} for sc, op, k, p in rows]


def _contacts(s: Session) -> list[Values]:
    c = model.Contact
    rows = s.execute(select(c.name, c.role, c.phone, c.email, c.chat_id, c.language,
                            c.districts, c.sites, c.escalation_level, c.on_call))
    return [{"name": n, "role": _s(r), "phone": _s(p), "email": _s(e), "chat_id": _s(ch),
             "language": lang, "districts": ds or "", "sites": ss or "",
             "escalation_level": _s(lv), "on_call": _s(oc)}
            for n, r, p, e, ch, lang, ds, ss, lv, oc in rows]


READERS: dict[str, Callable[[Session], list[Values]]] = {
    "units": _units, "unit_mappings": _mappings, "sites": _sites, "devices": _devices,
    "interfaces": _interfaces, "links": _links, "bts": _bts, "fibre_points": _fibre,
    "contacts": _contacts,
}


def snapshot(s: Session, kinds: tuple[str, ...] = tuple(KINDS)) -> Snapshot:
    """Canonical records of ``kinds`` in the store, keyed by natural key."""
    out: Snapshot = {}
    for k in kinds:
        cols = KINDS[k].key
        if len(cols) == 1:
            c = cols[0]
            out[k] = {(r[c],): r for r in READERS[k](s)}
        else:
            out[k] = {tuple(r[c] for c in cols): r for r in READERS[k](s)}
    return out


def sorted_records(snap: Snapshot) -> dict[str, list[Values]]:
    """Records per kind in a stable order (natural key; numbers compared as numbers)."""
    def order(key: Key) -> tuple[tuple[int, int | str], ...]:
        return tuple((0, int(p)) if p.isdigit() else (1, p) for p in key)
    return {k: [recs[key] for key in sorted(recs, key=order)] for k, recs in snap.items()}

"""Read-side queries returning plain records (no ORM objects leave this module)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, aliased

from provnet.inventory import model
from provnet.inventory.search import fold, has_diacritics, matches
from provnet.inventory.topology import Edge, Topology


@dataclass(frozen=True, slots=True)
class CommuneRecord:
    """A commune-level unit with its district."""

    code: str
    name: str
    unit_type: str
    generation: str
    district_code: str | None
    district_name: str | None
    lat: float | None
    lon: float | None
    area_km2: float | None
    boundary_synthetic: bool


#: ifIndex of a link end whose interface SNMP has not resolved yet (never a real ifIndex:
#: IF-MIB numbers from 1); such an end has no live state until the poller names it.
UNRESOLVED_IFINDEX = 0


@dataclass(frozen=True, slots=True)
class LinkRecord:
    """A link with both ends resolved to device, interface and site (an end's ifindex is
    :data:`UNRESOLVED_IFINDEX` until SNMP resolved its interface name)."""

    id: int
    kind: str
    capacity_mbps: int
    provider: str | None
    circuit_id: str | None
    a_device_id: int
    a_device: str
    a_ifindex: int
    a_ifname: str
    a_site_code: str
    a_site_name: str
    z_device_id: int
    z_device: str
    z_ifindex: int
    z_ifname: str
    z_site_code: str
    z_site_name: str
    commune_code: str | None
    district_code: str | None


@dataclass(frozen=True, slots=True)
class DeviceRecord:
    """A device with what polling needs."""

    id: int
    hostname: str
    role: str
    vendor: str
    platform: str
    mgmt_address: str
    snmp_profile: str | None
    site_code: str
    site_kind: str
    commune_code: str | None
    district_code: str | None
    #: the poller node groups (``poller_group``) of the device and of its site
    device_group: str | None = None
    site_group: str | None = None


def communes(
    s: Session, generation: str = "legacy", district: str | None = None, q: str | None = None,
    limit: int = 50, offset: int = 0,
) -> tuple[int, list[CommuneRecord]]:
    """Communes of one generation, filtered by district code and a name query; (total, page)."""
    unit, parent = model.AdminUnit, aliased(model.AdminUnit)
    stmt = (select(unit, parent).outerjoin(parent, unit.parent_id == parent.id)
            .where(unit.level == "commune", unit.generation == generation))
    if district:
        stmt = stmt.where(parent.code == district)
    if q:
        folded = f"%{fold(q)}%"
        stmt = stmt.where(or_(unit.name_folded.like(folded), unit.code == q.strip()))
    rows = s.execute(stmt.order_by(unit.code)).all()
    if q and has_diacritics(q):
        rows = [r for r in rows if matches(q, r[0].name)]
    page = rows[offset: offset + limit]
    return len(rows), [
        CommuneRecord(u.code, u.name, u.unit_type, u.generation, p.code if p else None,
                      p.name if p else None, u.lat, u.lon, u.area_km2, u.boundary_synthetic)
        for u, p in page
    ]


def links(s: Session) -> list[LinkRecord]:
    """Every link with both ends resolved."""
    ai, zi = aliased(model.Interface), aliased(model.Interface)
    ad, zd = aliased(model.Device), aliased(model.Device)
    asite, zsite = aliased(model.Site), aliased(model.Site)
    commune, district = aliased(model.AdminUnit), aliased(model.AdminUnit)
    stmt = (
        select(model.Link, ai, zi, ad, zd, asite, zsite, commune.code, district.code)
        .join(ai, model.Link.a_interface_id == ai.id).join(zi, model.Link.z_interface_id == zi.id)
        .join(ad, ai.device_id == ad.id).join(zd, zi.device_id == zd.id)
        .join(asite, ad.site_id == asite.id).join(zsite, zd.site_id == zsite.id)
        .outerjoin(commune, asite.commune_id == commune.id)
        .outerjoin(district, asite.district_id == district.id)
        .order_by(model.Link.id)
    )
    return [
        LinkRecord(lk.id, lk.kind, lk.capacity_mbps, lk.provider, lk.circuit_id,
                   a_d.id, a_d.hostname, a_i.ifindex or UNRESOLVED_IFINDEX, a_i.name, a_s.code,
                   a_s.name, z_d.id, z_d.hostname, z_i.ifindex or UNRESOLVED_IFINDEX, z_i.name,
                   z_s.code, z_s.name, cc, dc)
        for lk, a_i, z_i, a_d, z_d, a_s, z_s, cc, dc in s.execute(stmt).all()
    ]


def devices(s: Session) -> list[DeviceRecord]:
    """Every device with its site's codes."""
    commune, district = aliased(model.AdminUnit), aliased(model.AdminUnit)
    stmt = (
        select(model.Device, model.Site, commune.code, district.code)
        .join(model.Site, model.Device.site_id == model.Site.id)
        .outerjoin(commune, model.Site.commune_id == commune.id)
        .outerjoin(district, model.Site.district_id == district.id)
        .order_by(model.Device.id)
    )
    return [
        DeviceRecord(d.id, d.hostname, d.role, d.vendor, d.platform, d.mgmt_address,
                     d.snmp_profile, st.code, st.kind, cc, dc, d.poller_group, st.poller_group)
        for d, st, cc, dc in s.execute(stmt).all()
    ]


def topology(s: Session) -> Topology:
    """The device graph rooted at the (first) core device."""
    core = s.scalar(select(model.Device.id).join(model.Site).where(model.Site.kind == "core")
                    .order_by(model.Device.id).limit(1))
    if core is None:
        raise LookupError("inventory has no core site")
    return Topology(core, [Edge(r.id, r.a_device_id, r.z_device_id) for r in links(s)],
                    s.scalars(select(model.Device.id)).all())


def count_by_kind(s: Session) -> dict[str, int]:
    """Number of sites per kind."""
    rows = s.execute(select(model.Site.kind, func.count()).group_by(model.Site.kind)).all()
    return {k: int(n) for k, n in rows}

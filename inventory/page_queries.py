"""Read-side queries of the engineer's pages: one commune, a device's interfaces, a commune's
BTS (plain records; no ORM object leaves this module)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from provnet.inventory import model
from provnet.inventory.queries import CommuneRecord


@dataclass(frozen=True, slots=True)
class InterfaceRecord:
    """One interface of a device."""

    ifindex: int | None
    name: str
    speed_mbps: int | None
    description: str | None


@dataclass(frozen=True, slots=True)
class BtsRecord:
    """One BTS: its site, operator and the technologies of its sectors."""

    site_code: str
    site_name: str
    operator: str
    technologies: tuple[str, ...]
    sectors: int


def commune(s: Session, code: str, generation: str = "legacy") -> CommuneRecord | None:
    """The commune-level unit ``code`` of ``generation`` with its district, or ``None``."""
    unit, parent = model.AdminUnit, aliased(model.AdminUnit)
    row = s.execute(select(unit, parent).outerjoin(parent, unit.parent_id == parent.id)
                    .where(unit.level == "commune", unit.generation == generation,
                           unit.code == code)).first()
    if row is None:
        return None
    u, p = row
    return CommuneRecord(u.code, u.name, u.unit_type, u.generation, p.code if p else None,
                         p.name if p else None, u.lat, u.lon, u.area_km2, u.boundary_synthetic)


def device_interfaces(s: Session, device_id: int) -> list[InterfaceRecord]:
    """A device's interfaces in ifIndex order (unresolved ones last)."""
    rows = s.scalars(select(model.Interface).where(model.Interface.device_id == device_id)).all()
    out = [InterfaceRecord(i.ifindex, i.name, i.speed_mbps, i.description) for i in rows]
    return sorted(out, key=lambda i: (i.ifindex is None, i.ifindex or 0, i.name))


def commune_bts(s: Session, code: str) -> list[BtsRecord]:
    """The BTS at the sites of the legacy commune ``code``."""
    unit = model.AdminUnit
    stmt = (select(model.Bts, model.Site).join(model.Site, model.Bts.site_id == model.Site.id)
            .join(unit, model.Site.commune_id == unit.id)
            .where(unit.code == code, unit.generation == "legacy")
            .order_by(model.Site.code, model.Bts.operator))
    out = []
    for b, site in s.execute(stmt).all():
        techs = tuple(sorted({x.technology for x in b.sectors}))
        out.append(BtsRecord(site.code, site.name, b.operator, techs, len(b.sectors)))
    return out

"""Domain model of the inventory, mapped with SQLAlchemy 2 (one schema for SQLite and PostgreSQL).

Administrative units are versioned: each carries its generation (``legacy`` = before the
1 July 2025 reform, ``2025`` = two-level government) and validity dates; ``AdminUnitMapping``
links old units to new ones. Sites keep their legacy commune and district.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

SITE_KINDS = ("core", "pop", "commune_office", "department", "bts", "fibre_point")
UNIT_LEVELS = ("province", "district", "commune")
GENERATIONS = ("legacy", "2025")


class Base(DeclarativeBase):
    """Declarative base of every inventory table."""


class AdminUnit(Base):
    """A province, district or commune-level unit of one generation."""

    __tablename__ = "admin_unit"
    __table_args__ = (UniqueConstraint("generation", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    generation: Mapped[str] = mapped_column(String(10), index=True)
    level: Mapped[str] = mapped_column(String(10), index=True)
    code: Mapped[str] = mapped_column(String(10))
    name: Mapped[str] = mapped_column(String(120))
    short_name: Mapped[str] = mapped_column(String(100))
    unit_type: Mapped[str] = mapped_column(String(30))
    name_folded: Mapped[str] = mapped_column(String(120), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("admin_unit.id"), index=True)
    valid_from: Mapped[dt.date | None] = mapped_column(Date)
    valid_to: Mapped[dt.date | None] = mapped_column(Date)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    area_km2: Mapped[float | None] = mapped_column(Float)
    boundary_wkt: Mapped[str | None] = mapped_column(Text)
    boundary_synthetic: Mapped[bool] = mapped_column(Boolean, default=False)

    parent: Mapped[AdminUnit | None] = relationship(remote_side=[id])


class AdminUnitMapping(Base):
    """Old unit -> new unit. ``whole`` is False when the old unit was split."""

    __tablename__ = "admin_unit_mapping"
    __table_args__ = (UniqueConstraint("old_unit_id", "new_unit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    old_unit_id: Mapped[int] = mapped_column(ForeignKey("admin_unit.id"), index=True)
    new_unit_id: Mapped[int] = mapped_column(ForeignKey("admin_unit.id"), index=True)
    whole: Mapped[bool] = mapped_column(Boolean, default=True)
    is_default: Mapped[bool] = mapped_column(Boolean, default=True)


class Site(Base):
    """A place with equipment: core, district PoP, commune office, department, BTS, fibre point."""

    __tablename__ = "site"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    name_folded: Mapped[str] = mapped_column(String(200), index=True)
    kind: Mapped[str] = mapped_column(String(20), index=True)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    location_synthetic: Mapped[bool] = mapped_column(Boolean, default=False)
    commune_id: Mapped[int | None] = mapped_column(ForeignKey("admin_unit.id"), index=True)
    district_id: Mapped[int | None] = mapped_column(ForeignKey("admin_unit.id"), index=True)
    contact: Mapped[str | None] = mapped_column(String(200))
    #: the poller node group (``cluster.groups[].name``) polling the site's devices
    poller_group: Mapped[str | None] = mapped_column(String(64))

    commune: Mapped[AdminUnit | None] = relationship(foreign_keys=[commune_id])
    district: Mapped[AdminUnit | None] = relationship(foreign_keys=[district_id])
    devices: Mapped[list[Device]] = relationship(back_populates="site")


class Device(Base):
    """A managed network element. Credentials are referenced by profile name, never stored."""

    __tablename__ = "device"

    id: Mapped[int] = mapped_column(primary_key=True)
    hostname: Mapped[str] = mapped_column(String(100), unique=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), index=True)
    role: Mapped[str] = mapped_column(String(30))
    vendor: Mapped[str] = mapped_column(String(40))
    platform: Mapped[str] = mapped_column(String(60))
    mgmt_address: Mapped[str] = mapped_column(String(64))
    snmp_profile: Mapped[str | None] = mapped_column(String(60))
    ssh_profile: Mapped[str | None] = mapped_column(String(60))
    #: the poller node group of this device (wins over its site's)
    poller_group: Mapped[str | None] = mapped_column(String(64))

    site: Mapped[Site] = relationship(back_populates="devices")
    interfaces: Mapped[list[Interface]] = relationship(back_populates="device")


class Interface(Base):
    """A device port, named as the device names it (ifName, else ifDescr).

    ``ifindex`` is None until SNMP resolved the name (an interface imported by name only);
    the running service keeps it right when the device renumbers its interfaces.
    """

    __tablename__ = "interface"
    __table_args__ = (UniqueConstraint("device_id", "ifindex"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("device.id"), index=True)
    ifindex: Mapped[int | None] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(80))
    speed_mbps: Mapped[int | None] = mapped_column(Integer)
    description: Mapped[str | None] = mapped_column(String(200))

    device: Mapped[Device] = relationship(back_populates="interfaces")


class Link(Base):
    """A circuit between two interfaces. A is the downstream end, Z the end towards the core."""

    __tablename__ = "link"

    id: Mapped[int] = mapped_column(primary_key=True)
    a_interface_id: Mapped[int] = mapped_column(ForeignKey("interface.id"), unique=True)
    z_interface_id: Mapped[int] = mapped_column(ForeignKey("interface.id"), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    capacity_mbps: Mapped[int] = mapped_column(Integer)
    provider: Mapped[str | None] = mapped_column(String(60))
    circuit_id: Mapped[str | None] = mapped_column(String(60), unique=True)

    a_interface: Mapped[Interface] = relationship(foreign_keys=[a_interface_id])
    z_interface: Mapped[Interface] = relationship(foreign_keys=[z_interface_id])


class Bts(Base):
    """A mobile base station at a site (one per operator per site)."""

    __tablename__ = "bts"
    __table_args__ = (UniqueConstraint("site_id", "operator"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), index=True)
    operator: Mapped[str] = mapped_column(String(30), index=True)
    sectors: Mapped[list[Sector]] = relationship(back_populates="bts")


class Sector(Base):
    """One antenna sector of a BTS."""

    __tablename__ = "sector"

    id: Mapped[int] = mapped_column(primary_key=True)
    bts_id: Mapped[int] = mapped_column(ForeignKey("bts.id"), index=True)
    technology: Mapped[str] = mapped_column(String(5), index=True)
    band_mhz: Mapped[int] = mapped_column(Integer)
    azimuth_deg: Mapped[float] = mapped_column(Float)
    beamwidth_deg: Mapped[float] = mapped_column(Float)
    height_m: Mapped[float] = mapped_column(Float)
    power_dbm: Mapped[float | None] = mapped_column(Float)
    range_m: Mapped[float | None] = mapped_column(Float)

    bts: Mapped[Bts] = relationship(back_populates="sectors")


class FibrePoint(Base):
    """A fibre access point (ODF, splitter cabinet, OLT) at a site."""

    __tablename__ = "fibre_point"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), unique=True)
    operator: Mapped[str] = mapped_column(String(30), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    ports: Mapped[int | None] = mapped_column(Integer)


class Contact(Base):
    """An escalation contact (issue 11): who is told when an incident escalates, for which
    districts and sites (blank: everywhere), from which escalation level and in which hours
    (``on_call`` ``HH:MM-HH:MM`` Vietnam time; blank: always). ``districts`` and ``sites``
    hold codes separated by one space (canonical form of the import)."""

    __tablename__ = "contact"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    role: Mapped[str | None] = mapped_column(String(120))
    phone: Mapped[str | None] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(200))
    chat_id: Mapped[str | None] = mapped_column(String(60))
    language: Mapped[str] = mapped_column(String(2), default="vi")
    districts: Mapped[str] = mapped_column(String(500), default="")
    sites: Mapped[str] = mapped_column(String(2000), default="")
    escalation_level: Mapped[int] = mapped_column(Integer, default=1)
    on_call: Mapped[str | None] = mapped_column(String(11))


class InventoryState(Base):
    """One row: a counter bumped by every inventory change (import, API, ifIndex resolution),
    so a running service notices the change without a restart."""

    __tablename__ = "inventory_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=0)
    changed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class InventoryChange(Base):
    """Audit trail: who changed what, when, with the record before and after (JSON)."""

    __tablename__ = "inventory_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    actor: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(20), index=True)
    key: Mapped[str] = mapped_column(String(300))
    action: Mapped[str] = mapped_column(String(10))
    before: Mapped[str | None] = mapped_column(Text)
    after: Mapped[str | None] = mapped_column(Text)

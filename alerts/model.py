"""SQL tables of alerts and incidents (on the inventory's declarative base).

Times are UNIX seconds (float, UTC) so SQLite and PostgreSQL behave the same; the API
renders them as ISO 8601. Every change to an incident is an ``alert_incident_event`` row.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from provnet.inventory.model import Base

ALERT_STATES = ("pending", "firing", "resolved", "cancelled")
INCIDENT_STATES = ("open", "acknowledged", "resolved")


class Incident(Base):
    """One real fault: a root element (or a lone alert) and every alert it explains."""

    __tablename__ = "alert_incident"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_key: Mapped[str] = mapped_column(String(200), index=True)
    title: Mapped[str] = mapped_column(String(300))
    root_cause: Mapped[str] = mapped_column(String(300))
    root_site_code: Mapped[str | None] = mapped_column(String(40), index=True)
    district: Mapped[str | None] = mapped_column(String(10), index=True)
    severity: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(15), index=True)
    started_at: Mapped[float] = mapped_column(Float, index=True)
    resolved_at: Mapped[float | None] = mapped_column(Float)
    notified: Mapped[bool] = mapped_column(Boolean, default=False)
    silenced: Mapped[bool] = mapped_column(Boolean, default=False)
    escalations: Mapped[int] = mapped_column(Integer, default=0)
    labels: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    affected: Mapped[list[Any]] = mapped_column(JSON, default=list)


class Alert(Base):
    """One occurrence of one rule on one entity, from pending to resolved."""

    __tablename__ = "alert"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), index=True)
    rule: Mapped[str] = mapped_column(String(60), index=True)
    entity: Mapped[str] = mapped_column(String(120))
    severity: Mapped[str] = mapped_column(String(10))
    state: Mapped[str] = mapped_column(String(10), index=True)
    flapping: Mapped[bool] = mapped_column(Boolean, default=False)
    suppressed: Mapped[bool] = mapped_column(Boolean, default=False)
    value: Mapped[float | None] = mapped_column(Float)
    site: Mapped[str | None] = mapped_column(String(40), index=True)
    district: Mapped[str | None] = mapped_column(String(10), index=True)
    device: Mapped[str | None] = mapped_column(String(100))
    labels: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    started_at: Mapped[float] = mapped_column(Float, index=True)
    fired_at: Mapped[float | None] = mapped_column(Float)
    resolved_at: Mapped[float | None] = mapped_column(Float)
    engine_state: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("alert_incident.id"), index=True)


class IncidentEvent(Base):
    """Full history: created, alert added/resolved, notified, acknowledged, escalated, ..."""

    __tablename__ = "alert_incident_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("alert_incident.id"), index=True)
    time: Mapped[float] = mapped_column(Float)
    kind: Mapped[str] = mapped_column(String(30))
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("alert.id"))
    actor: Mapped[str | None] = mapped_column(String(100))
    detail: Mapped[str] = mapped_column(Text, default="")


class Acknowledgement(Base):
    """An owner takes an incident until ``expires_at`` (then escalation resumes)."""

    __tablename__ = "alert_ack"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("alert_incident.id"), index=True)
    owner: Mapped[str] = mapped_column(String(100))
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[float] = mapped_column(Float)
    expires_at: Mapped[float | None] = mapped_column(Float)


class Silence(Base):
    """No notifications for matching incidents between ``starts_at`` and ``ends_at``."""

    __tablename__ = "alert_silence"

    id: Mapped[int] = mapped_column(primary_key=True)
    site: Mapped[str | None] = mapped_column(String(40))
    district: Mapped[str | None] = mapped_column(String(10))
    device: Mapped[str | None] = mapped_column(String(100))
    rule: Mapped[str | None] = mapped_column(String(60))
    starts_at: Mapped[float] = mapped_column(Float)
    ends_at: Mapped[float] = mapped_column(Float, index=True)
    created_by: Mapped[str] = mapped_column(String(100))
    comment: Mapped[str] = mapped_column(Text, default="")


class MaintenanceWindow(Base):
    """A recurring silence: RFC 5545 RRULE from ``dtstart`` (ISO, with offset), each
    occurrence lasting ``duration_s``."""

    __tablename__ = "alert_maintenance"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    site: Mapped[str | None] = mapped_column(String(40))
    district: Mapped[str | None] = mapped_column(String(10))
    device: Mapped[str | None] = mapped_column(String(100))
    rule: Mapped[str | None] = mapped_column(String(60))
    rrule: Mapped[str] = mapped_column(String(300))
    dtstart: Mapped[str] = mapped_column(String(40))
    duration_s: Mapped[float] = mapped_column(Float)
    created_by: Mapped[str] = mapped_column(String(100))
    comment: Mapped[str] = mapped_column(Text, default="")

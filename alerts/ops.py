"""Operations on incidents, alerts, silences and maintenance windows (API and CLI share them).

Each takes a session and returns rows or raises :class:`AlertNotFound` / :class:`AlertsError`
with a reason; nothing is written when an operation fails.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from provnet.alerts.errors import AlertNotFound, AlertsError, InvalidInput
from provnet.alerts.model import (
    Acknowledgement,
    Alert,
    Incident,
    IncidentEvent,
    MaintenanceWindow,
    Silence,
)
from provnet.alerts.silences import Matchers, check_rrule, window_active


@dataclass(frozen=True)
class IncidentFilter:
    """Filters of the incident list (None = any)."""

    status: str | None = None
    district: str | None = None
    site: str | None = None
    severity: str | None = None
    started_since: float | None = None  # epoch seconds: started at or after


def list_incidents(s: Session, f: IncidentFilter, limit: int = 50,
                   offset: int = 0, before_id: int | None = None) -> tuple[int, list[Incident]]:
    """Incidents, newest first, filtered; (total, page). ``before_id``: a cursor, the page
    starts after that incident (``total`` still counts every match)."""
    stmt = select(Incident)
    if f.status:
        stmt = stmt.where(Incident.status == f.status)
    if f.district:
        stmt = stmt.where(Incident.district == f.district)
    if f.site:
        stmt = stmt.where(Incident.root_site_code == f.site)
    if f.severity:
        stmt = stmt.where(Incident.severity == f.severity)
    if f.started_since is not None:
        stmt = stmt.where(Incident.started_at >= f.started_since)
    total = s.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    if before_id is not None:
        stmt = stmt.where(Incident.id < before_id)
    rows = s.scalars(stmt.order_by(Incident.id.desc()).limit(limit).offset(offset)).all()
    return int(total), list(rows)


def get_incident(s: Session, incident_id: int) -> Incident:
    """One incident or AlertNotFound."""
    inc = s.get(Incident, incident_id)
    if inc is None:
        raise AlertNotFound(f"no incident with id {incident_id}")
    return inc


def incident_alerts(s: Session, incident_id: int) -> list[Alert]:
    """The incident's alerts: root first, then suppressed children."""
    return list(s.scalars(select(Alert).where(Alert.incident_id == incident_id)
                          .order_by(Alert.suppressed, Alert.id)))


def history(s: Session, incident_id: int) -> list[IncidentEvent]:
    """Every event of an incident, oldest first."""
    return list(s.scalars(select(IncidentEvent).where(IncidentEvent.incident_id == incident_id)
                          .order_by(IncidentEvent.time, IncidentEvent.id)))


def latest_ack(s: Session, incident_id: int) -> Acknowledgement | None:
    """The newest acknowledgement of an incident."""
    return s.scalars(select(Acknowledgement).where(Acknowledgement.incident_id == incident_id)
                     .order_by(Acknowledgement.id.desc())).first()


def acknowledge(s: Session, incident_id: int, owner: str, comment: str,
                expires_in_s: float | None, now: float) -> tuple[Incident, int]:
    """Acknowledge an open incident; returns it and the acknowledgement's number (1, 2, ...)."""
    inc = get_incident(s, incident_id)
    if inc.status == "resolved":
        raise AlertsError(f"incident {incident_id} is resolved: nothing to acknowledge")
    expires = now + expires_in_s if expires_in_s else None
    s.add(Acknowledgement(incident_id=inc.id, owner=owner, comment=comment, created_at=now,
                          expires_at=expires))
    inc.status = "acknowledged"
    until = "" if expires is None else f" for {expires_in_s:g} s"
    s.add(IncidentEvent(incident_id=inc.id, time=now, kind="acknowledged", actor=owner,
                        detail=f"acknowledged by {owner}{until}" + (f": {comment}" if comment
                                                                   else "")))
    s.flush()
    n = s.scalar(select(func.count()).where(Acknowledgement.incident_id == inc.id)) or 1
    return inc, int(n)


def list_alerts(s: Session, state: str | None = None, rule: str | None = None,
                site: str | None = None, district: str | None = None, limit: int = 50,
                offset: int = 0, before_id: int | None = None) -> tuple[int, list[Alert]]:
    """Alerts, newest first, filtered; (total, page); ``before_id`` as in
    :func:`list_incidents`."""
    stmt = select(Alert)
    for col, val in ((Alert.state, state), (Alert.rule, rule), (Alert.site, site),
                     (Alert.district, district)):
        if val:
            stmt = stmt.where(col == val)
    total = s.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    if before_id is not None:
        stmt = stmt.where(Alert.id < before_id)
    rows = s.scalars(stmt.order_by(Alert.id.desc()).limit(limit).offset(offset)).all()
    return int(total), list(rows)


def add_silence(s: Session, site: str | None, district: str | None, device: str | None,
                rule: str | None, starts_at: float, ends_at: float, created_by: str,
                comment: str) -> Silence:
    """Create a silence (at least one matcher, end after start)."""
    if not any((site, district, device, rule)):
        raise InvalidInput("a silence needs at least one matcher: site, district, device, rule")
    if ends_at <= starts_at:
        raise InvalidInput("a silence must end after it starts")
    row = Silence(site=site, district=district, device=device, rule=rule, starts_at=starts_at,
                  ends_at=ends_at, created_by=created_by, comment=comment)
    s.add(row)
    s.flush()
    return row


def list_silences(s: Session, include_expired: bool, now: float) -> Sequence[Silence]:
    """Silences (current and future unless ``include_expired``)."""
    stmt = select(Silence).order_by(Silence.id)
    if not include_expired:
        stmt = stmt.where(Silence.ends_at > now)
    return s.scalars(stmt).all()


def delete_silence(s: Session, silence_id: int) -> None:
    """Remove a silence."""
    row = s.get(Silence, silence_id)
    if row is None:
        raise AlertNotFound(f"no silence with id {silence_id}")
    s.delete(row)


def active_matchers(s: Session, now: float) -> list[Matchers]:
    """Matchers of every silence and maintenance window active at ``now`` (a window whose
    stored RRULE no longer parses is skipped: it was checked when it was added)."""
    out = [Matchers(x.site, x.district, x.device, x.rule) for x in s.scalars(
        select(Silence).where(Silence.starts_at <= now, Silence.ends_at > now))]
    for w in s.scalars(select(MaintenanceWindow)):
        try:
            active = window_active(w.rrule, w.dtstart, w.duration_s, now)
        except InvalidInput:
            continue
        if active:
            out.append(Matchers(w.site, w.district, w.device, w.rule))
    return out


def add_maintenance(s: Session, name: str, site: str | None, district: str | None,
                    device: str | None, rule: str | None, rrule: str, dtstart: str,
                    duration_s: float, created_by: str, comment: str) -> MaintenanceWindow:
    """Create a recurring maintenance window (validated RRULE and start)."""
    if not any((site, district, device, rule)):
        raise InvalidInput("a window needs at least one matcher: site, district, device, rule")
    check_rrule(rrule, dtstart)
    row = MaintenanceWindow(name=name, site=site, district=district, device=device, rule=rule,
                            rrule=rrule, dtstart=dtstart, duration_s=duration_s,
                            created_by=created_by, comment=comment)
    s.add(row)
    s.flush()
    return row


def delete_maintenance(s: Session, window_id: int) -> None:
    """Remove a maintenance window."""
    row = s.get(MaintenanceWindow, window_id)
    if row is None:
        raise AlertNotFound(f"no maintenance window with id {window_id}")
    s.delete(row)

"""What the incident console lists and shows beyond the alerts API: the list with a time
filter, the districts incidents name, and where an incident's cut-off sites are."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from provnet.alerts.model import Incident
from provnet.inventory import model

#: the console's time filter: key -> seconds back from now
SINCE_S = {"1h": 3600, "24h": 86400, "7d": 7 * 86400, "30d": 30 * 86400}


@dataclass(frozen=True, slots=True)
class ConsoleFilter:
    """Filters of the incident list (None = any)."""

    status: str | None = None
    severity: str | None = None
    district: str | None = None
    since: str | None = None  # a key of SINCE_S


def list_incidents(s: Session, f: ConsoleFilter, now: float, limit: int = 50,
                   before_id: int | None = None) -> tuple[int, list[Incident]]:
    """Incidents newest first, filtered (``since``: started within that period); (total,
    page). ``before_id``: the page starts after that incident."""
    stmt = select(Incident)
    if f.status:
        stmt = stmt.where(Incident.status == f.status)
    if f.severity:
        stmt = stmt.where(Incident.severity == f.severity)
    if f.district:
        stmt = stmt.where(Incident.district == f.district)
    if f.since in SINCE_S:
        stmt = stmt.where(Incident.started_at >= now - SINCE_S[f.since])
    total = s.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    if before_id is not None:
        stmt = stmt.where(Incident.id < before_id)
    return int(total), list(s.scalars(stmt.order_by(Incident.id.desc()).limit(limit)))


def districts(s: Session) -> list[tuple[str, str]]:
    """(code, name) of the legacy districts, by code: the district filter's choices."""
    u = model.AdminUnit
    return [(c, n) for c, n in s.execute(select(u.code, u.name).where(
        u.level == "district", u.generation == "legacy").order_by(u.code))]


@dataclass(frozen=True, slots=True)
class SitePlace:
    """A site on the incident map."""

    code: str
    name: str
    kind: str
    lon: float
    lat: float
    commune_code: str | None


def site_places(s: Session, codes: list[str]) -> list[SitePlace]:
    """Positions of the given sites (unknown codes are left out)."""
    if not codes:
        return []
    commune = model.AdminUnit
    rows = s.execute(select(model.Site.code, model.Site.name, model.Site.kind, model.Site.lon,
                            model.Site.lat, commune.code)
                     .outerjoin(commune, model.Site.commune_id == commune.id)
                     .where(model.Site.code.in_(codes)).order_by(model.Site.code))
    return [SitePlace(*r) for r in rows]

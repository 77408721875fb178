"""What the incident console lists and shows beyond the alerts API: the list with a time
filter, the districts incidents name, and where an incident's cut-off sites are."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from provnet.alerts import ops
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
    since = now - SINCE_S[f.since] if f.since in SINCE_S else None
    return ops.list_incidents(s, ops.IncidentFilter(f.status, f.district, None, f.severity,
                                                    since), limit, 0, before_id)


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

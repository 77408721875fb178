"""Incident rows -> the notifier contract's :class:`Notification` (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, cast

from provnet.alerts.causes import incident_texts
from provnet.alerts.model import Incident
from provnet.alerts.notify.types import (
    AffectedSite,
    ConfigChangeNote,
    Contact,
    Event,
    IncidentSummary,
    Notification,
    Severity,
)

SEVERITY_ORDER = ("critical", "major", "minor", "warning", "info")


def worst(severities: Sequence[str]) -> str:
    """The most severe of ``severities`` (``info`` when empty)."""
    ranked = [s for s in SEVERITY_ORDER if s in severities]
    return ranked[0] if ranked else "info"


def _dt(ts: float | None) -> datetime | None:
    return None if ts is None else datetime.fromtimestamp(ts, UTC)


def summary(inc: Incident, acked_by: str | None, base_url: str | None,
            changes: Sequence[ConfigChangeNote] = ()) -> IncidentSummary:
    """Everything a template needs about ``inc`` (``changes``: configuration changes of its
    devices near its start, see :mod:`alerts.changes`)."""
    affected = tuple(AffectedSite(str(a["site_code"]), str(a["site_name"]), a.get("commune"),
                                  a.get("district"), str(a.get("alert") or "cut_off"))
                     for a in inc.affected or [])
    labels = {k: str(v) for k, v in (inc.labels or {}).items() if isinstance(v, str)}
    started = _dt(inc.started_at)
    assert started is not None
    texts = incident_texts(inc.labels, inc.title, inc.root_cause)
    return IncidentSummary(
        id=inc.id, title=texts.title["vi"], severity=cast(Severity, inc.severity),
        status=cast(Any, inc.status), root_cause=texts.root_cause["en"],
        title_en=texts.title["en"], root_cause_vi=texts.root_cause["vi"],
        root_site_code=inc.root_site_code, started_at=started,
        resolved_at=_dt(inc.resolved_at), acked_by=acked_by, affected=affected, labels=labels,
        url=f"{base_url.rstrip('/')}/api/v1/alerts/incidents/{inc.id}" if base_url else None,
        config_changes=tuple(changes))


def notification(inc: Incident, event: Event, n: int, acked_by: str | None,
                 base_url: str | None, contacts: tuple[Contact, ...] = (),
                 changes: Sequence[ConfigChangeNote] = ()) -> Notification:
    """The notification for ``event`` number ``n`` of ``inc`` (key: idempotent)."""
    return Notification(f"incident-{inc.id}-{event}-{n}", event,
                        summary(inc, acked_by, base_url, changes), contacts)

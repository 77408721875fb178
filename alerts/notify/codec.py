"""Notification <-> JSON-ready dict (the outbox stores this; the webhook body reuses it). Pure."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from provnet.alerts.notify.errors import NotifyError
from provnet.alerts.notify.types import (
    AffectedSite,
    ConfigChangeNote,
    Contact,
    IncidentSummary,
    Notification,
)


def _ts(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _parse_ts(value: Any) -> datetime | None:
    return None if value is None else datetime.fromisoformat(str(value))


def incident_to_dict(inc: IncidentSummary) -> dict[str, Any]:
    """The incident as plain JSON types (timestamps ISO 8601), affected sites included."""
    return {
        "id": inc.id,
        "title": inc.title,
        "severity": inc.severity,
        "status": inc.status,
        "root_cause": inc.root_cause,
        "root_site_code": inc.root_site_code,
        "started_at": _ts(inc.started_at),
        "resolved_at": _ts(inc.resolved_at),
        "acked_by": inc.acked_by,
        "affected": [site_to_dict(s) for s in inc.affected],
        "labels": dict(inc.labels),
        "url": inc.url,
        "config_changes": [change_to_dict(c) for c in inc.config_changes],
        "title_en": inc.title_en,
        "root_cause_vi": inc.root_cause_vi,
    }


def change_to_dict(c: ConfigChangeNote) -> dict[str, Any]:
    """One configuration change near the incident as plain JSON types."""
    return {"device": c.device, "site_code": c.site_code, "at": _ts(c.at),
            "lines_added": c.lines_added, "lines_removed": c.lines_removed,
            "minutes_before": c.minutes_before}


def _change(d: dict[str, Any]) -> ConfigChangeNote:
    return ConfigChangeNote(str(d["device"]), d.get("site_code"),
                            _parse_ts(d["at"]) or datetime.min, int(d["lines_added"]),
                            int(d["lines_removed"]), float(d["minutes_before"]))


def site_to_dict(site: AffectedSite) -> dict[str, Any]:
    """One affected site as plain JSON types."""
    return {
        "site_code": site.site_code,
        "site_name": site.site_name,
        "commune": site.commune,
        "district": site.district,
        "alert": site.alert,
    }


def to_dict(n: Notification) -> dict[str, Any]:
    """The whole notification as plain JSON types."""
    return {
        "key": n.key,
        "event": n.event,
        "incident": incident_to_dict(n.incident),
        "contacts": [
            {
                "name": c.name,
                "email": c.email,
                "telegram_chat_id": c.telegram_chat_id,
                "language": c.language,
            }
            for c in n.contacts
        ],
    }


def from_dict(data: dict[str, Any]) -> Notification:
    """Inverse of :func:`to_dict`; raises NotifyError naming the missing or bad field."""
    try:
        inc = data["incident"]
        incident = IncidentSummary(
            id=int(inc["id"]),
            title=inc["title"],
            severity=inc["severity"],
            status=inc["status"],
            root_cause=inc["root_cause"],
            root_site_code=inc.get("root_site_code"),
            started_at=_parse_ts(inc["started_at"]) or datetime.min,
            resolved_at=_parse_ts(inc.get("resolved_at")),
            acked_by=inc.get("acked_by"),
            affected=tuple(AffectedSite(**s) for s in inc.get("affected", ())),
            labels=dict(inc.get("labels", {})),
            url=inc.get("url"),
            # absent in notifications stored before config changes were attached
            config_changes=tuple(_change(c) for c in inc.get("config_changes", ())),
            # absent in notifications stored before titles and causes were bilingual
            title_en=inc.get("title_en"),
            root_cause_vi=inc.get("root_cause_vi"),
        )
        contacts = tuple(Contact(**c) for c in data.get("contacts", ()))
        return Notification(
            key=data["key"], event=data["event"], incident=incident, contacts=contacts
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise NotifyError(f"malformed notification: {type(exc).__name__}: {exc}") from exc

"""Pure builders of what each channel sends (webhook JSON, Alertmanager alerts, Telegram text)."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from provnet.alerts.notify.codec import incident_to_dict, site_to_dict
from provnet.alerts.notify.types import Notification, Rendered

WEBHOOK_SCHEMA = "provnet.notification/v1"
TELEGRAM_LIMIT = 4096
_LABEL_NAME = re.compile(r"[^a-zA-Z0-9_]")


def webhook_payload(n: Notification, rendered: Rendered, language: str) -> dict[str, Any]:
    """The webhook body: stable schema ``provnet.notification/v1``."""
    incident = incident_to_dict(n.incident)
    del incident["affected"]
    return {
        "schema": WEBHOOK_SCHEMA,
        "key": n.key,
        "event": n.event,
        "language": language,
        "subject": rendered.subject,
        "text": rendered.text,
        "incident": incident,
        "affected_count": len(n.incident.affected),
        "affected": [site_to_dict(s) for s in n.incident.affected],
        "contacts": [{"name": c.name, "email": c.email} for c in n.contacts],
    }


def _iso(ts: datetime) -> str:
    aware = ts if ts.tzinfo else ts.replace(tzinfo=UTC)
    return aware.astimezone(UTC).isoformat().replace("+00:00", "Z")


def label_name(key: str) -> str:
    """A valid Prometheus label name for ``key`` (invalid characters become ``_``)."""
    name = _LABEL_NAME.sub("_", key) or "_"
    return f"_{name}" if name[0].isdigit() else name


def alertmanager_labels(n: Notification) -> dict[str, str]:
    """Labels identifying the incident; the same for every event, so one fingerprint each."""
    inc = n.incident
    labels = {label_name(k): str(v) for k, v in inc.labels.items()}
    if n.event == "test":
        labels.update(alertname="ProvnetTest", provnet_incident=f"test-{n.key}")
    else:
        labels.update(alertname="ProvnetIncident", provnet_incident=str(inc.id))
    labels["severity"] = inc.severity
    if inc.root_site_code:
        labels["root_site"] = inc.root_site_code
    return labels


def alertmanager_alerts(
    n: Notification, rendered: Rendered, now: datetime, firing_ttl: timedelta,
    language: str = "vi",
) -> list[dict[str, Any]]:
    """One Alertmanager v2 alert for the incident; a resolution sets ``endsAt``. Title and
    cause are in ``language``, like ``rendered``."""
    inc = n.incident
    if n.event == "resolved" or inc.labels.get("kind") == "digest":  # a digest: all over
        ends = inc.resolved_at or now
    elif n.event == "test":
        ends = now + timedelta(minutes=5)
    else:  # still firing: Alertmanager would resolve it after resolve_timeout without endsAt
        ends = now + firing_ttl
    annotations = {
        "summary": inc.title_in(language),
        "description": rendered.text,
        "root_cause": inc.root_cause_in(language),
        "affected_count": str(len(inc.affected)),
        "affected_sites": ", ".join(s.site_code for s in inc.affected[:200]),
        "status": inc.status,
    }
    if inc.acked_by:
        annotations["acknowledged_by"] = inc.acked_by
    alert: dict[str, Any] = {
        "labels": alertmanager_labels(n),
        "annotations": annotations,
        "startsAt": _iso(inc.started_at),
        "endsAt": _iso(ends),
    }
    if inc.url:
        alert["generatorURL"] = inc.url
    return [alert]


def telegram_message(rendered: Rendered, limit: int = TELEGRAM_LIMIT) -> str:
    """HTML-mode message: bold subject, escaped text, cut (with an ellipsis) to ``limit``."""
    head = f"<b>{html.escape(rendered.subject, quote=False)}</b>\n\n"
    text = rendered.text.strip()
    body = html.escape(text, quote=False)
    if len(head) + len(body) <= limit:
        return head + body
    budget, used, cut = limit - len(head) - 1, 0, 0
    for ch in text:
        size = len(html.escape(ch, quote=False))
        if used + size > budget:
            break
        used, cut = used + size, cut + 1
    return head + html.escape(text[:cut], quote=False) + "…"

"""Data handed from the incident engine to the notifiers (the H5a/H5b contract)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

Severity = Literal["critical", "major", "minor", "warning", "info"]
Event = Literal["firing", "resolved", "escalated", "acknowledged", "test"]


@dataclass(frozen=True)
class Contact:
    """Who gets escalations; from the inventory or config."""

    name: str
    email: str | None = None
    telegram_chat_id: str | None = None
    language: Literal["vi", "en"] = "vi"


@dataclass(frozen=True)
class AffectedSite:
    """One cut-off or affected site (a suppressed child alert)."""

    site_code: str
    site_name: str  # Vietnamese, with diacritics
    commune: str | None
    district: str | None
    alert: str  # rule name, e.g. "device_unreachable"


@dataclass(frozen=True)
class ConfigChangeNote:
    """A configuration change of a device of the incident, near its start (issue 4: "config
    changed 3 minutes before the link went down")."""

    device: str
    site_code: str | None
    at: datetime
    lines_added: int
    lines_removed: int
    minutes_before: float  # before the incident started (negative: after)


@dataclass(frozen=True)
class IncidentSummary:
    """Everything a template needs about one incident; built by the engine."""

    id: int
    title: str  # Vietnamese, e.g. "PoP Tri Tôn mất kết nối: 15 trụ sở UBND xã bị cô lập"
    severity: Severity
    status: Literal["open", "acknowledged", "resolved"]
    root_cause: str  # English: "link 12 (POP-891 ↔ AG-CORE) down"
    root_site_code: str | None
    started_at: datetime
    resolved_at: datetime | None
    acked_by: str | None
    affected: tuple[AffectedSite, ...]
    labels: Mapping[str, str]
    url: str | None  # link to the incident in provnet's API
    config_changes: tuple[ConfigChangeNote, ...] = ()  # newest first
    title_en: str | None = None  # English title; None (older payloads): ``title``
    root_cause_vi: str | None = None  # Vietnamese cause; None (older payloads): ``root_cause``

    def title_in(self, language: str) -> str:
        """The title in ``language`` ("vi" or "en")."""
        return (self.title_en or self.title) if language == "en" else self.title

    def root_cause_in(self, language: str) -> str:
        """The root cause in ``language`` ("vi" or "en")."""
        return (self.root_cause_vi or self.root_cause) if language == "vi" else self.root_cause


@dataclass(frozen=True)
class Notification:
    """One event about one incident; ``key`` ("incident-<id>-<event>-<n>") is enqueued once."""

    key: str
    event: Event
    incident: IncidentSummary
    contacts: tuple[Contact, ...] = ()  # extra recipients (escalation)


@dataclass(frozen=True)
class Rendered:
    """A notification rendered in one language."""

    subject: str
    text: str
    html: str

"""API models of alerts and incidents (times as ISO 8601, UTC)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Name = Field(min_length=1, max_length=100)


class AlertOut(BaseModel):
    """One alert occurrence."""

    id: int
    rule: str
    entity: str
    severity: str
    state: str
    flapping: bool
    suppressed: bool
    value: float | None
    site: str | None
    district: str | None
    device: str | None
    started_at: dt.datetime
    fired_at: dt.datetime | None
    resolved_at: dt.datetime | None
    incident_id: int | None


class AffectedOut(BaseModel):
    """A cut-off or alerting site."""

    site_code: str
    site_name: str
    site_kind: str | None = None
    commune: str | None = None
    district: str | None = None
    alert: str | None = None


class IncidentOut(BaseModel):
    """An incident without its history."""

    id: int
    title: str = Field(description="Vietnamese title")
    title_en: str = Field(description="English title")
    root_cause: str = Field(description="English root cause")
    root_cause_vi: str = Field(description="Vietnamese root cause")
    root: str
    root_site_code: str | None
    district: str | None
    severity: str
    status: str
    started_at: dt.datetime
    resolved_at: dt.datetime | None
    notified: bool
    silenced: bool
    escalations: int
    acked_by: str | None
    ack_expires_at: dt.datetime | None
    affected: list[AffectedOut]


class EventOut(BaseModel):
    """One entry of an incident's history."""

    time: dt.datetime
    kind: str
    alert_id: int | None
    actor: str | None
    detail: str


class ConfigChangeOut(BaseModel):
    """A configuration change of one of the incident's devices near its start."""

    device: str
    site_code: str | None
    at: dt.datetime
    lines_added: int
    lines_removed: int
    minutes_before: float = Field(description="minutes before the incident started "
                                              "(negative: after)")


class IncidentDetail(IncidentOut):
    """An incident with its alerts (root and suppressed children), full history and the
    configuration changes of its devices near its start."""

    alerts: list[AlertOut]
    history: list[EventOut]
    config_changes: list[ConfigChangeOut]


class AckIn(BaseModel):
    """Take an incident: ``owner`` until ``expires_in_s`` from now (no expiry if omitted)."""

    model_config = ConfigDict(extra="forbid")
    owner: str = Name
    comment: str = Field(default="", max_length=2000)
    expires_in_s: float | None = Field(default=None, gt=0, le=30 * 86400)


class _MatchersIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    site: str | None = Field(default=None, min_length=1, max_length=40)
    district: str | None = Field(default=None, min_length=1, max_length=10)
    device: str | None = Field(default=None, min_length=1, max_length=100)
    rule: str | None = Field(default=None, min_length=1, max_length=60)
    created_by: str = Name
    comment: str = Field(default="", max_length=2000)

    @model_validator(mode="after")
    def _one_matcher(self) -> Any:
        if not any((self.site, self.district, self.device, self.rule)):
            raise ValueError("give at least one matcher: site, district, device or rule")
        return self


class SilenceIn(_MatchersIn):
    """Silence matching incidents from ``starts_at`` (default now) for ``duration_s``."""

    starts_at: dt.datetime | None = Field(default=None, description="naive = UTC")
    duration_s: float = Field(ge=1, le=366 * 86400)

    @model_validator(mode="after")
    def _sane_start(self) -> Any:
        if self.starts_at is not None and not 2000 <= self.starts_at.year <= 2100:
            raise ValueError("starts_at must be between the years 2000 and 2100")
        return self


def utc_seconds(t: dt.datetime) -> float:
    """UNIX seconds of ``t`` (naive = UTC)."""
    return (t if t.tzinfo else t.replace(tzinfo=dt.UTC)).timestamp()


class SilenceOut(BaseModel):
    """A silence."""

    id: int
    site: str | None
    district: str | None
    device: str | None
    rule: str | None
    starts_at: dt.datetime
    ends_at: dt.datetime
    created_by: str
    comment: str
    active: bool


class MaintenanceIn(_MatchersIn):
    """A recurring window: RFC 5545 RRULE from ``dtstart`` (with UTC offset)."""

    name: str = Field(min_length=1, max_length=200)
    rrule: str = Field(min_length=1, max_length=300, examples=["FREQ=WEEKLY;BYDAY=SU"])
    dtstart: str = Field(min_length=1, max_length=40, examples=["2026-01-04T01:00:00+07:00"])
    duration_s: float = Field(ge=1, le=7 * 86400)


class MaintenanceOut(BaseModel):
    """A recurring maintenance window."""

    id: int
    name: str
    site: str | None
    district: str | None
    device: str | None
    rule: str | None
    rrule: str
    dtstart: str
    duration_s: float
    created_by: str
    comment: str
    active: bool


IncidentStatus = Literal["open", "acknowledged", "resolved"]
AlertStateQ = Literal["pending", "firing", "resolved", "cancelled"]

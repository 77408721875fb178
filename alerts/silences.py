"""Pure matching of silences and recurring maintenance windows against an incident."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from dateutil.rrule import rrulestr

from provnet.alerts.errors import InvalidInput


@dataclass(frozen=True, slots=True)
class Target:
    """What a silence can match on: the incident's root site/district/device and rules."""

    site: str | None
    district: str | None
    devices: frozenset[str]
    rules: frozenset[str]


@dataclass(frozen=True, slots=True)
class Matchers:
    """A silence's or window's matchers; None matches anything (at least one is set)."""

    site: str | None = None
    district: str | None = None
    device: str | None = None
    rule: str | None = None

    def matches(self, t: Target) -> bool:
        """Every set matcher matches the target."""
        return ((self.site is None or self.site == t.site)
                and (self.district is None or self.district == t.district)
                and (self.device is None or self.device in t.devices)
                and (self.rule is None or self.rule in t.rules))


ALLOWED_FREQ = ("HOURLY", "DAILY", "WEEKLY", "MONTHLY", "YEARLY")


def check_rrule(rule: str, dtstart: str) -> None:
    """Raise InvalidInput naming the problem when the RRULE or its start is invalid."""
    freq = dict(p.partition("=")[::2] for p in rule.upper().removeprefix("RRULE:").split(";"))
    if freq.get("FREQ") not in ALLOWED_FREQ:
        raise InvalidInput(f"rrule {rule!r}: FREQ must be one of {', '.join(ALLOWED_FREQ)}")
    recurrence = _occurrences(rule, dtstart)
    try:
        recurrence.after(datetime.now(UTC))
    except (ValueError, TypeError, OverflowError) as exc:
        raise InvalidInput(f"rrule {rule!r}: {exc}") from exc


@lru_cache(maxsize=256)
def _occurrences(rule: str, dtstart: str):  # type: ignore[no-untyped-def]
    try:
        start = datetime.fromisoformat(dtstart)
    except ValueError as exc:
        raise InvalidInput(f"dtstart {dtstart!r}: not an ISO 8601 date-time") from exc
    if start.tzinfo is None:
        raise InvalidInput(f"dtstart {dtstart!r}: give a UTC offset, e.g. +07:00")
    try:
        return rrulestr(rule, dtstart=start, cache=True)  # occurrences kept: fast next time
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, OverflowError) as exc:
        raise InvalidInput(f"rrule {rule!r}: {exc}") from exc


def window_active(rule: str, dtstart: str, duration_s: float, now: float) -> bool:
    """True when ``now`` falls inside an occurrence of the recurring window."""
    when = datetime.fromtimestamp(now, UTC)
    recurrence = _occurrences(rule, dtstart)
    last = recurrence.before(when, inc=True)
    return last is not None and when < last + timedelta(seconds=duration_s)


def any_matches(matchers: Collection[Matchers], target: Target) -> bool:
    """True when one of the matchers matches."""
    return any(m.matches(target) for m in matchers)

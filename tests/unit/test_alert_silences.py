"""Silence matchers and recurring maintenance windows (pure), table-driven."""

from __future__ import annotations

from datetime import datetime

import pytest

from provnet.alerts.errors import InvalidInput
from provnet.alerts.silences import Matchers, Target, any_matches, check_rrule, window_active

TARGET = Target("POP-891", "891", frozenset({"ag-pop-891", "ag-ub-30544"}),
                frozenset({"link_down", "device_unreachable"}))


@pytest.mark.parametrize(("m", "hit"), [
    (Matchers(site="POP-891"), True),
    (Matchers(district="891"), True),
    (Matchers(district="892"), False),
    (Matchers(device="ag-ub-30544"), True),           # any device of the incident
    (Matchers(rule="utilisation_high"), False),
    (Matchers(district="891", rule="link_down"), True),
    (Matchers(district="891", rule="optic_rx_low"), False),  # every matcher must match
])
def test_matchers(m: Matchers, hit: bool) -> None:
    assert m.matches(TARGET) is hit
    assert any_matches([Matchers(site="nowhere"), m], TARGET) is hit


SUNDAY_NIGHT = ("FREQ=WEEKLY;BYDAY=SU", "2026-01-04T01:00:00+07:00", 7200)


@pytest.mark.parametrize(("when", "active"), [
    ("2026-11-22T01:00:00+07:00", True),    # start of an occurrence
    ("2026-11-22T02:59:59+07:00", True),
    ("2026-11-22T03:00:00+07:00", False),   # ended
    ("2026-11-21T01:30:00+07:00", False),   # a Saturday
    ("2025-12-28T01:30:00+07:00", False),   # before dtstart
    ("2026-11-21T18:30:00+00:00", True),    # the same instant in UTC (Sunday 01:30 +07)
])
def test_weekly_window(when: str, active: bool) -> None:
    rule, start, duration = SUNDAY_NIGHT
    assert window_active(rule, start, duration, datetime.fromisoformat(when).timestamp()) is active


@pytest.mark.parametrize(("rule", "start", "reason"), [
    ("FREQ=MINUTELY", "2026-01-04T01:00:00+07:00", "FREQ must be one of"),
    ("FREQ=DAILY;BYHOUR=25", "2026-01-04T01:00:00+07:00", "hour must be in"),
    ("FREQ=DAILY", "2026-01-04 01:00", "give a UTC offset"),
    ("FREQ=DAILY", "tomorrow", "not an ISO 8601"),
])
def test_bad_windows(rule: str, start: str, reason: str) -> None:
    with pytest.raises(InvalidInput, match=reason):
        check_rrule(rule, start)

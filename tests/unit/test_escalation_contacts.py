"""Who an escalation reaches (alerts/escalation.py): scope, level, on-call hours, precedence."""

from __future__ import annotations

import pytest

from provnet.alerts.escalation import (
    EscalationContact,
    escalation_contacts,
    merged,
    minute_of_day,
    on_call,
)
from provnet.alerts.model import Incident
from provnet.inventory.io_spec import KINDS, canonical

MIDNIGHT_VN = 1_795_000_000 - (1_795_000_000 + 7 * 3600) % 86400  # 00:00 Vietnam time


@pytest.mark.parametrize(("window", "hhmm", "expected"), [
    (None, "03:00", True), ("07:00-17:00", "07:00", True), ("07:00-17:00", "16:59", True),
    ("07:00-17:00", "17:00", False), ("07:00-17:00", "06:59", False),
    ("22:00-06:00", "23:30", True), ("22:00-06:00", "05:59", True),
    ("22:00-06:00", "06:00", False), ("22:00-06:00", "12:00", False),
    ("00:00-24:00", "23:59", True),
])
def test_on_call(window: str | None, hhmm: str, expected: bool) -> None:
    h, m = map(int, hhmm.split(":"))
    assert on_call(window, h * 60 + m) is expected


def test_minute_of_day_is_vietnam_time() -> None:
    assert minute_of_day(MIDNIGHT_VN) == 0
    assert minute_of_day(MIDNIGHT_VN + 3600 * 10 + 60 * 5) == 605


def _inc(district: str | None, site: str | None) -> Incident:
    return Incident(group_key="g", title="t", root_cause="c", root_site_code=site,
                    district=district, severity="major", status="open", started_at=0.0)


PEOPLE = [
    EscalationContact("all", email="a@x.vn"),
    EscalationContact("d886", email="b@x.vn", districts=("886",)),
    EscalationContact("site", email="c@x.vn", sites=("POP-886",)),
    EscalationContact("lvl2", chat_id="-1", level=2),
    EscalationContact("day", email="d@x.vn", on_call="07:00-17:00"),
]


@pytest.mark.parametrize(("district", "site", "n", "hour", "names"), [
    ("886", "POP-886", 1, 10, ["all", "d886", "site", "day"]),
    ("886", "POP-886", 2, 10, ["all", "d886", "site", "lvl2", "day"]),
    ("887", "POP-887", 1, 10, ["all", "day"]),
    ("887", None, 3, 20, ["all", "lvl2"]),
])
def test_escalation_contacts(district: str, site: str | None, n: int, hour: int,
                             names: list[str]) -> None:
    got = escalation_contacts(_inc(district, site), n, MIDNIGHT_VN + hour * 3600, PEOPLE)
    assert [c.name for c in got] == names


def test_inventory_contact_replaces_settings_contact_of_the_same_name() -> None:
    stored = [EscalationContact("Bích", email="new@x.vn")]
    configured = [EscalationContact("Bích", email="old@x.vn"), EscalationContact("Minh")]
    assert [(c.name, c.email) for c in merged(stored, configured)] == [
        ("Bích", "new@x.vn"), ("Minh", None)]


@pytest.mark.parametrize(("column", "text", "expected"), [
    ("districts", "887; 886,886 | 888", "886 887 888"),
    ("on_call", "7:00 - 17:30", "07:00-17:30"),
    ("on_call", "22:00-6:00", "22:00-06:00"),
    ("email", "bich@stttt.angiang.gov.vn", "bich@stttt.angiang.gov.vn"),
])
def test_contact_columns_canonical(column: str, text: str, expected: str) -> None:
    assert canonical(KINDS["contacts"].column(column), text) == expected


@pytest.mark.parametrize(("column", "text"), [
    ("on_call", "7-17"), ("on_call", "08:00-08:00"), ("on_call", "24:30-01:00"),
    ("email", "no-at-sign"), ("email", "a@b"), ("email", "a b@c.vn"),
])
def test_contact_columns_refused(column: str, text: str) -> None:
    with pytest.raises(ValueError):
        canonical(KINDS["contacts"].column(column), text)

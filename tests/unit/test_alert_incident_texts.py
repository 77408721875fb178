"""Incident titles and root causes in Vietnamese and English, from the engine to the rendered
notification (issue 10). The same small network and real SQLite store as
``test_alert_incidents``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from provnet.alerts.notes import summary
from provnet.alerts.notify.channels.payloads import alertmanager_alerts
from provnet.alerts.notify.codec import from_dict, to_dict
from provnet.alerts.notify.render import render
from tests.unit.test_alert_incidents import POP_DOWN, World

TITLE_VI = "Site 2 Tri Tôn mất kết nối: 2 trụ sở UBND xã bị cô lập"
TITLE_EN = "Site 2 Tri Tôn down: 2 commune offices cut off"
CAUSE_VI = "đường truyền 100 (POP-891 ↔ AG-CORE) mất kết nối"
CAUSE_EN = "link 100 (POP-891 ↔ AG-CORE) down"


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    w = World(tmp_path / "t.sqlite")
    w.cycle(set(), set())
    w.cycle(*POP_DOWN)
    yield w
    w.store.close()


def test_incident_row_keeps_its_columns_and_has_both_languages(world: World) -> None:
    (inc,) = world.incidents()
    assert (inc.title, inc.root_cause) == (TITLE_VI, CAUSE_EN)  # the columns as before
    s = summary(inc, None, None)
    assert (s.title, s.title_en, s.root_cause, s.root_cause_vi) == (
        TITLE_VI, TITLE_EN, CAUSE_EN, CAUSE_VI)


@pytest.mark.parametrize(("language", "title", "cause", "absent"), [
    ("vi", TITLE_VI, f"Nguyên nhân: {CAUSE_VI}", ("down", "cut off")),
    ("en", TITLE_EN, f"Cause: {CAUSE_EN}", ("mất kết nối", "cô lập")),
], ids=["vi", "en"])
def test_notification_speaks_its_language(world: World, language: str, title: str,
                                          cause: str, absent: tuple[str, ...]) -> None:
    n = from_dict(to_dict(world.outbox.seen["incident-1-firing-1"]))  # through the outbox
    r = render(n, language)  # type: ignore[arg-type]
    assert title in r.subject and f"#1: {title}" in r.text and cause in r.text
    assert cause.split(": ", 1)[1] in r.html
    for word in absent:
        assert word not in r.subject + r.text


@pytest.mark.parametrize(("language", "title", "cause"), [
    ("vi", TITLE_VI, CAUSE_VI), ("en", TITLE_EN, CAUSE_EN)], ids=["vi", "en"])
def test_alertmanager_annotations_follow_the_channel_language(
        world: World, language: str, title: str, cause: str) -> None:
    from datetime import UTC, datetime, timedelta

    n = world.outbox.seen["incident-1-firing-1"]
    [alert] = alertmanager_alerts(n, render(n, language), datetime.now(UTC),  # type: ignore[arg-type]
                                  timedelta(hours=1), language)
    assert (alert["annotations"]["summary"], alert["annotations"]["root_cause"]) == (title, cause)

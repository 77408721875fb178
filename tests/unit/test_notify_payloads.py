"""Pure payload builders and settings of the notifiers (no I/O)."""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError

from provnet.alerts.notify.channels import build_channels
from provnet.alerts.notify.channels.payloads import (
    WEBHOOK_SCHEMA,
    alertmanager_alerts,
    alertmanager_labels,
    label_name,
    telegram_message,
    webhook_payload,
)
from provnet.alerts.notify.channels.smtp import build_message
from provnet.alerts.notify.channels.webhook import sign
from provnet.alerts.notify.render import render
from provnet.alerts.notify.types import Rendered
from provnet.config.notify import NotifierSettings
from tests.support.notify_cases import case as load_case

NOW = datetime(2026, 11, 21, 15, 10, tzinfo=UTC)


def test_webhook_payload_schema() -> None:
    n = load_case("firing-vi")
    body = webhook_payload(n, render(n, "vi"), "vi")
    assert body["schema"] == WEBHOOK_SCHEMA
    assert set(body) == {
        "schema",
        "key",
        "event",
        "language",
        "subject",
        "text",
        "incident",
        "affected_count",
        "affected",
        "contacts",
    }
    assert body["event"] == "firing" and body["key"] == "incident-12-firing-1"
    assert body["incident"]["id"] == 12 and "affected" not in body["incident"]
    assert body["affected_count"] == 8
    assert body["affected"][0] == {
        "site_code": "UB-30544",
        "site_name": "UBND xã Lương Phi",
        "commune": "Xã Lương Phi",
        "district": "Huyện Tri Tôn",
        "alert": "device_unreachable",
    }
    assert json.loads(json.dumps(body, ensure_ascii=False)) == body


def test_sign_is_hmac_sha256_of_body() -> None:
    body = '{"a": "Tri Tôn"}'.encode()
    expected = hmac.new(b"k", body, hashlib.sha256).hexdigest()
    assert sign(b"k", body) == f"sha256={expected}"


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("district", "district"),
        ("device-class", "device_class"),
        ("1x", "_1x"),
        ("", "_"),
        ("tỉnh", "t_nh"),
    ],
)
def test_label_name(key: str, expected: str) -> None:
    assert label_name(key) == expected


@pytest.mark.parametrize(
    ("case", "event", "ends"),
    [
        ("firing-vi", "firing", NOW + timedelta(days=7)),
        ("escalated-vi", "escalated", NOW + timedelta(days=7)),
        ("acknowledged-en", "acknowledged", NOW + timedelta(days=7)),
        ("resolved-vi", "resolved", datetime(2026, 11, 21, 16, 5, 7, tzinfo=UTC)),
        ("test-vi", "test", NOW + timedelta(minutes=5)),
    ],
)
def test_alertmanager_alert(case: str, event: str, ends: datetime) -> None:
    n = load_case(case)
    assert n.event == event
    [alert] = alertmanager_alerts(n, render(n, "vi"), NOW, timedelta(days=7))
    assert alert["endsAt"] == ends.isoformat().replace("+00:00", "Z")
    assert alert["startsAt"] == "2026-11-21T15:00:00Z"
    assert alert["annotations"]["summary"] == n.incident.title


def test_alertmanager_labels_are_the_same_for_every_event_of_an_incident() -> None:
    labels = {
        json.dumps(alertmanager_labels(load_case(c)), sort_keys=True)
        for c in ("firing-vi", "escalated-vi", "acknowledged-en", "resolved-vi")
    }
    assert len(labels) == 1
    only = json.loads(labels.pop())
    assert only["alertname"] == "ProvnetIncident" and only["provnet_incident"] == "12"
    assert only["root_site"] == "POP-891" and only["severity"] == "critical"


def test_resolution_without_resolved_at_ends_now() -> None:
    n = load_case("resolved-vi")
    n = replace(n, incident=replace(n.incident, resolved_at=None))
    [alert] = alertmanager_alerts(n, render(n, "vi"), NOW, timedelta(days=7))
    assert alert["endsAt"] == "2026-11-21T15:10:00Z"


@pytest.mark.parametrize(
    ("subject", "text", "limit", "expected"),
    [
        ("S", "a < b & c", 4096, "<b>S</b>\n\na &lt; b &amp; c"),
        ("<x>", "t", 4096, "<b>&lt;x&gt;</b>\n\nt"),
        ("S", "x" * 100, 20, "<b>S</b>\n\n" + "x" * 9 + "…"),
        ("S", "&" * 10, 30, "<b>S</b>\n\n" + "&amp;" * 3 + "…"),
    ],
)
def test_telegram_message(subject: str, text: str, limit: int, expected: str) -> None:
    got = telegram_message(Rendered(subject, text, ""), limit)
    assert got == expected and len(got) <= limit


def test_email_message_is_multipart_with_utf8_subject() -> None:
    n = load_case("firing-vi")
    msg = build_message(n, render(n, "vi"), "provnet@x.vn", ["a@x.vn", "b@x.vn"])
    assert msg.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in msg.iter_parts()] == ["text/plain", "text/html"]
    assert msg["Subject"] == render(n, "vi").subject
    wire = msg.as_bytes()
    assert b"=?utf-8?" in wire  # RFC 2047 encoded subject
    assert msg["Message-ID"] == "<incident-12-firing-1@provnet>"


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"webhook": {"enabled": True}}, "webhook.url"),
        ({"email": {"enabled": True}}, "email.recipients"),
        ({"telegram": {"enabled": True, "chat_ids": ["1"]}}, "telegram.token"),
        ({"alertmanager": {"enabled": True}}, "alertmanager.url"),
        ({"timezone": "Mars/Olympus"}, "time zone"),
        ({"language": "fr"}, "language"),
        ({"webhook": {"urll": "http://x"}}, "urll"),
        ({"retry": {"jitter": 2}}, "jitter"),
        ({"email": {"username": "u", "password": "mật khẩu"}}, "ASCII"),
    ],
)
def test_settings_reject(raw: dict, field: str) -> None:
    with pytest.raises(ValidationError, match=field):
        NotifierSettings.model_validate(raw)


def test_settings_secrets_print_as_stars_and_channels_follow_enabled() -> None:
    s = NotifierSettings.model_validate(
        {
            "language": "en",
            "webhook": {"enabled": True, "url": "http://127.0.0.1:1/h", "secret": "hm4c"},
            "telegram": {"enabled": True, "token": "123:SECRET", "chat_ids": ["-1"]},
            "email": {"enabled": False, "password": "pw"},
        }
    )
    dumped = repr(s) + s.model_dump_json()
    assert "hm4c" not in dumped and "SECRET" not in dumped and "pw" not in dumped.split("***")[0]
    assert [c.name for c in build_channels(s)] == ["webhook", "telegram"]
    assert build_channels(NotifierSettings()) == []


def test_readme_notifications_example_loads(tmp_path: Path) -> None:
    from provnet.config.settings import load_settings
    from tests.support.helpers import readme_yaml

    notify = load_settings(readme_yaml("Notifications", tmp_path / "provnet.yaml")).alerts.notify
    assert [c.name for c in build_channels(notify)] == [
        "webhook",
        "email",
        "telegram",
        "alertmanager",
    ]

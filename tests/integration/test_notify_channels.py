"""Channels against real receivers on loopback: HTTP server (webhook, Telegram Bot API stub:
the real Telegram API is not reachable from here) and aiosmtpd as the SMTP server."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import shutil
import ssl
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from provnet.alerts.notify.channels import EmailChannel, TelegramChannel, WebhookChannel
from provnet.alerts.notify.errors import ChannelError
from provnet.alerts.notify.render import render
from provnet.config.notify import EmailSettings, TelegramSettings, WebhookSettings
from tests.support.helpers import free_port
from tests.support.notify_cases import case
from tests.support.notify_receivers import HttpReceiver, Request, SmtpReceiver

pytestmark = pytest.mark.integration
TOKEN = "123456:AAH-secret-token"


@pytest.fixture
def http() -> Iterator[HttpReceiver]:
    receiver = HttpReceiver().start()
    yield receiver
    receiver.stop()


@pytest.fixture
def smtp() -> Iterator[SmtpReceiver]:
    receiver = SmtpReceiver().start()
    yield receiver
    receiver.stop()


def test_webhook_posts_signed_json(http: HttpReceiver) -> None:
    settings = WebhookSettings(
        enabled=True, url=f"{http.url}/hook", secret=SecretStr("k3y"), headers={"X-Site": "AG"}
    )
    n = case("firing-vi")
    asyncio.run(WebhookChannel(settings).send(n, render(n, "vi")))
    [req] = http.requests
    assert req.path == "/hook" and req.headers["X-Site"] == "AG"
    expected = "sha256=" + hmac.new(b"k3y", req.body, hashlib.sha256).hexdigest()
    assert req.headers["X-Provnet-Signature"] == expected
    assert req.headers["Idempotency-Key"] == "incident-12-firing-1"
    body = req.json()
    assert body["schema"] == "provnet.notification/v1" and body["event"] == "firing"
    assert body["affected_count"] == 8
    assert "UBND xã Ô Lâm" in {a["site_name"] for a in body["affected"]}
    assert "Ô Lâm".encode() in req.body  # UTF-8 on the wire, not \u escapes


@pytest.mark.parametrize(
    ("status", "retryable"), [(400, False), (404, False), (429, True), (503, True)]
)
def test_webhook_error_statuses(http: HttpReceiver, status: int, retryable: bool) -> None:
    http.respond = lambda _r: (status, b'{"error": "no"}')
    n = case("firing-en")
    channel = WebhookChannel(WebhookSettings(enabled=True, url=http.url))
    with pytest.raises(ChannelError, match=f"HTTP {status}") as err:
        asyncio.run(channel.send(n, render(n, "en")))
    assert err.value.retryable is retryable


def test_webhook_down_is_a_retryable_channel_error() -> None:
    url = f"http://127.0.0.1:{free_port()}/hook"
    n = case("firing-en")
    with pytest.raises(ChannelError) as err:
        asyncio.run(WebhookChannel(WebhookSettings(enabled=True, url=url)).send(n, render(n, "en")))
    assert err.value.retryable


def _telegram_ok(req: Request) -> tuple[int, bytes]:
    if not req.path.startswith(f"/bot{TOKEN}/"):
        return 401, b'{"ok": false, "error_code": 401, "description": "Unauthorized"}'
    return 200, json.dumps({"ok": True, "result": {"message_id": 1}}).encode()


def test_telegram_sends_html_to_every_chat_and_escalation_contacts(http: HttpReceiver) -> None:
    http.respond = _telegram_ok
    settings = TelegramSettings(
        enabled=True, api_base=http.url, token=SecretStr(TOKEN), chat_ids=["-1001"]
    )
    n = case("escalated-vi")
    asyncio.run(TelegramChannel(settings).send(n, render(n, "vi")))
    assert [r.path for r in http.requests] == [f"/bot{TOKEN}/sendMessage"] * 2
    first, second = http.bodies()
    assert first["chat_id"] == "-1001" and second["chat_id"] == "-100123"
    assert first["parse_mode"] == "HTML"
    assert first["text"].startswith("<b>[provnet] CHUYỂN CẤP #12")
    assert "UBND xã Ô Lâm" in first["text"]


def test_telegram_bad_token_is_permanent_and_never_shows_the_token(http: HttpReceiver) -> None:
    http.respond = _telegram_ok
    settings = TelegramSettings(
        enabled=True, api_base=http.url, token=SecretStr("999:wrong-token"), chat_ids=["1"]
    )
    n = case("firing-en")
    with pytest.raises(ChannelError, match="HTTP 401") as err:
        asyncio.run(TelegramChannel(settings).send(n, render(n, "en")))
    assert not err.value.retryable and "wrong-token" not in str(err.value)


def test_telegram_unreachable_hides_the_token() -> None:
    settings = TelegramSettings(
        enabled=True,
        api_base=f"http://127.0.0.1:{free_port()}",
        token=SecretStr(TOKEN),
        chat_ids=["1"],
        timeout_s=2,
    )
    n = case("firing-en")
    with pytest.raises(ChannelError) as err:
        asyncio.run(TelegramChannel(settings).send(n, render(n, "en")))
    assert err.value.retryable and TOKEN not in str(err.value)
    assert err.value.__cause__ is None


def test_email_multipart_utf8_to_recipients_and_contacts(smtp: SmtpReceiver) -> None:
    settings = EmailSettings(
        enabled=True,
        host="127.0.0.1",
        port=smtp.port,
        sender="provnet@stttt.angiang.gov.vn",
        recipients=["noc@stttt.angiang.gov.vn"],
    )
    n = case("escalated-vi")
    asyncio.run(EmailChannel(settings).send(n, render(n, "vi")))
    by_rcpt = {tuple(rcpts): msg for _from, rcpts, msg in smtp.messages}
    # Vietnamese for the NOC and the vi contact, English for the en contact.
    vi = by_rcpt[("noc@stttt.angiang.gov.vn", "bich@stttt.angiang.gov.vn")]
    en = by_rcpt[("minh@example.vn",)]
    assert vi["Subject"] == render(n, "vi").subject
    assert en["Subject"] == render(n, "en").subject
    assert vi.get_content_type() == "multipart/alternative"
    text = vi.get_body(("plain",))
    html = vi.get_body(("html",))
    assert text is not None and html is not None
    assert "UBND xã Ô Lâm" in text.get_content()
    assert "<li>UBND xã Ô Lâm" in html.get_content()


def test_email_server_down_is_retryable() -> None:
    settings = EmailSettings(enabled=True, port=free_port(), recipients=["a@b.vn"], timeout_s=2)
    n = case("firing-vi")
    with pytest.raises(ChannelError) as err:
        asyncio.run(EmailChannel(settings).send(n, render(n, "vi")))
    assert err.value.retryable


@pytest.fixture(scope="module")
def tls_cert(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 made with the openssl CLI."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    d = tmp_path_factory.mktemp("tls")
    cert, key = d / "cert.pem", d / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def test_email_starttls_and_login(tls_cert: tuple[Path, Path]) -> None:
    cert, key = tls_cert
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert, key)
    smtp = SmtpReceiver(tls=server_tls, users={"provnet": "m4t-khau"}).start()
    try:
        base = {
            "enabled": True,
            "host": "127.0.0.1",
            "port": smtp.port,
            "timeout_s": 5,
            "recipients": ["noc@x.vn"],
        }
        n = case("firing-vi")
        good = EmailSettings.model_validate(
            {
                **base,
                "starttls": True,
                "ca_file": str(cert),
                "username": "provnet",
                "password": "m4t-khau",
            }
        )
        asyncio.run(EmailChannel(good).send(n, render(n, "vi")))
        assert len(smtp.messages) == 1
        with pytest.raises(ChannelError, match="SMTP 5"):  # no STARTTLS: refused
            asyncio.run(EmailChannel(EmailSettings.model_validate(base)).send(n, render(n, "vi")))
        wrong = good.model_copy(update={"password": SecretStr("sai")})
        with pytest.raises(ChannelError, match="535") as err:
            asyncio.run(EmailChannel(wrong).send(n, render(n, "vi")))
        assert "sai" not in str(err.value) and not err.value.retryable
        untrusted = good.model_copy(update={"ca_file": None})
        with pytest.raises(ChannelError, match=r"SSL|certificate"):
            asyncio.run(EmailChannel(untrusted).send(n, render(n, "vi")))
        assert len(smtp.messages) == 1
    finally:
        smtp.stop()

"""SMTP AUTH is never sent over an unencrypted session unless the settings say so, even to a
relay that would accept it (aiosmtpd on loopback, AUTH allowed without TLS)."""

from __future__ import annotations

import asyncio

import pytest
from pydantic import ValidationError

from provnet.alerts.notify.channels import EmailChannel
from provnet.alerts.notify.errors import ChannelError
from provnet.alerts.notify.render import render
from provnet.config.notify import EmailSettings
from tests.support.notify_cases import case
from tests.support.notify_receivers import SmtpReceiver

pytestmark = pytest.mark.integration
PASSWORD = "Canary-SMTP-pw-7731"


def _base(port: int) -> dict[str, object]:
    return {"enabled": True, "host": "127.0.0.1", "port": port, "timeout_s": 5,
            "recipients": ["noc@stttt.angiang.gov.vn"], "username": "provnet",
            "password": PASSWORD}


def test_plaintext_auth_is_refused_at_load() -> None:
    with pytest.raises(ValidationError, match="allow_plaintext_auth"):
        EmailSettings.model_validate(_base(25))
    EmailSettings.model_validate({**_base(25), "starttls": True})  # TLS: fine
    EmailSettings.model_validate({**_base(25), "username": None})  # no AUTH: fine


def test_plaintext_auth_only_when_allowed() -> None:
    smtp = SmtpReceiver(users={"provnet": PASSWORD}).start()
    try:
        n = case("firing-vi")
        allowed = EmailSettings.model_validate({**_base(smtp.port), "allow_plaintext_auth": True})
        # settings changed around validation (model_copy does not validate): still refused,
        # before any connection
        unchecked = allowed.model_copy(update={"allow_plaintext_auth": False})
        with pytest.raises(ChannelError, match="allow_plaintext_auth") as err:
            asyncio.run(EmailChannel(unchecked).send(n, render(n, "vi")))
        assert PASSWORD not in str(err.value) and not err.value.retryable
        assert smtp.messages == []
        asyncio.run(EmailChannel(allowed).send(n, render(n, "vi")))
        assert len(smtp.messages) == 1  # the relay takes AUTH in the clear: the opt-in works
    finally:
        smtp.stop()

"""Webhook channel: POST the ``provnet.notification/v1`` JSON, optionally HMAC-SHA256 signed."""

from __future__ import annotations

import hashlib
import hmac
import json

from provnet.alerts.notify.channels.http import post
from provnet.alerts.notify.channels.payloads import webhook_payload
from provnet.alerts.notify.types import Notification, Rendered
from provnet.config.notify import WebhookSettings


def sign(secret: bytes, body: bytes) -> str:
    """Signature header value: ``sha256=<hex HMAC-SHA256 of the exact body bytes>``."""
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


class WebhookChannel:
    """JSON over HTTP POST; receivers verify the signature over the raw body."""

    name = "webhook"

    def __init__(self, settings: WebhookSettings, default_language: str = "vi") -> None:
        self.settings = settings
        self.language = settings.language or default_language

    async def send(self, n: Notification, rendered: Rendered) -> None:
        """POST the payload; ChannelError on a transport error or non-2xx answer."""
        s = self.settings
        body = json.dumps(webhook_payload(n, rendered, self.language), ensure_ascii=False)
        raw = body.encode("utf-8")
        headers = {
            **{k: v.get_secret_value() for k, v in s.headers.items()},
            "Content-Type": "application/json; charset=utf-8",
            "X-Provnet-Event": n.event,
            "Idempotency-Key": n.key,
        }
        if s.secret is not None:
            headers[s.signature_header] = sign(s.secret.get_secret_value().encode(), raw)
        url = s.url.get_secret_value() if s.url else ""
        await post(self.name, url, content=raw, headers=headers, timeout_s=s.timeout_s)

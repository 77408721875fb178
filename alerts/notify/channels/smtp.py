"""E-mail channel: SMTP (stdlib smtplib in a worker thread), multipart text + HTML, UTF-8."""

from __future__ import annotations

import asyncio
import re
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate

from provnet.alerts.notify.errors import ChannelError
from provnet.alerts.notify.render import render
from provnet.alerts.notify.types import Notification, Rendered
from provnet.config.notify import EmailSettings


def build_message(
    n: Notification, rendered: Rendered, sender: str, recipients: list[str]
) -> EmailMessage:
    """One multipart/alternative message; non-ASCII headers are RFC 2047 encoded on send."""
    msg = EmailMessage()
    msg["Subject"] = rendered.subject
    msg["From"] = sender
    msg["To"] = ", ".join(recipients)
    msg["Date"] = formatdate(localtime=False, usegmt=True)
    # Stable per notification: a retried delivery is recognisable as the same message.
    msg["Message-ID"] = f"<{re.sub(r'[^A-Za-z0-9._-]', '_', n.key)}@provnet>"
    msg["X-Provnet-Event"] = n.event
    msg.set_content(rendered.text)
    msg.add_alternative(rendered.html, subtype="html")
    return msg


class EmailChannel:
    """Sends to the configured recipients, plus escalation contacts (in their language)."""

    name = "email"

    def __init__(
        self, settings: EmailSettings, default_language: str = "vi", tz: str | None = None
    ) -> None:
        self.settings = settings
        self.language = settings.language or default_language
        self.tz = tz

    def messages(self, n: Notification, rendered: Rendered) -> list[EmailMessage]:
        """The messages to send: one per language among the recipients."""
        by_lang: dict[str, list[str]] = {self.language: list(self.settings.recipients)}
        for c in n.contacts:
            if c.email and not any(c.email in v for v in by_lang.values()):
                by_lang.setdefault(c.language, []).append(c.email)
        out = []
        for lang, rcpts in by_lang.items():
            if not rcpts:
                continue
            own = rendered
            if lang != self.language:
                own = render(n, lang, **({"tz": self.tz} if self.tz else {}))  # type: ignore[arg-type]
            out.append(build_message(n, own, self.settings.sender, rcpts))
        return out

    def _send_sync(self, messages: list[EmailMessage]) -> None:
        s = self.settings
        with smtplib.SMTP(s.host, s.port, timeout=s.timeout_s) as smtp:
            if s.starttls:
                smtp.starttls(context=ssl.create_default_context(cafile=s.ca_file))
            if s.username:
                smtp.login(s.username, s.password.get_secret_value() if s.password else "")
            for msg in messages:
                smtp.send_message(msg)

    async def send(self, n: Notification, rendered: Rendered) -> None:
        """Deliver over one SMTP session in a worker thread; errors become ChannelError."""
        if self.settings.plaintext_auth_refused():  # settings built without validation
            raise ChannelError(self.name, "SMTP AUTH without TLS refused: set email.starttls "
                               "(or email.allow_plaintext_auth)", retryable=False)
        messages = self.messages(n, rendered)
        try:
            await asyncio.to_thread(self._send_sync, messages)
        except smtplib.SMTPResponseException as exc:
            permanent = 500 <= exc.smtp_code < 600
            raise ChannelError(
                self.name, f"SMTP {exc.smtp_code}: {exc.smtp_error!r}", retryable=not permanent
            ) from exc
        except smtplib.SMTPRecipientsRefused as exc:
            raise ChannelError(
                self.name, f"recipients refused: {sorted(exc.recipients)}", retryable=False
            ) from exc
        except (smtplib.SMTPException, OSError, ValueError) as exc:
            raise ChannelError(self.name, f"{type(exc).__name__}: {exc}") from exc

"""Telegram Bot API channel: ``POST {api_base}/bot{token}/sendMessage`` in HTML parse mode."""

from __future__ import annotations

import json

from provnet.alerts.notify.channels.http import post
from provnet.alerts.notify.channels.payloads import telegram_message
from provnet.alerts.notify.errors import ChannelError
from provnet.alerts.notify.render import render
from provnet.alerts.notify.types import Notification, Rendered
from provnet.config.notify import TelegramSettings


class TelegramChannel:
    """One message per chat: configured chats plus escalation contacts with a chat id."""

    name = "telegram"

    def __init__(
        self, settings: TelegramSettings, default_language: str = "vi", tz: str | None = None
    ) -> None:
        self.settings = settings
        self.language = settings.language or default_language
        self.tz = tz

    def _messages(self, n: Notification, rendered: Rendered) -> list[tuple[str, str]]:
        out = [(chat, telegram_message(rendered)) for chat in self.settings.chat_ids]
        for c in n.contacts:
            if c.telegram_chat_id and c.telegram_chat_id not in self.settings.chat_ids:
                own = rendered
                if c.language != self.language:
                    own = render(n, c.language, **({"tz": self.tz} if self.tz else {}))
                out.append((c.telegram_chat_id, telegram_message(own)))
        return out

    async def send(self, n: Notification, rendered: Rendered) -> None:
        """Send to every chat; the first failure raises (the whole delivery is retried)."""
        s = self.settings
        token = s.token.get_secret_value() if s.token else ""
        url = f"{s.api_base.rstrip('/')}/bot{token}/sendMessage"
        for chat_id, text in self._messages(n, rendered):
            body = {
                "chat_id": chat_id,
                "text": text,
                "parse_mode": "HTML",
                "disable_web_page_preview": True,
            }
            resp = await post(
                self.name,
                url,
                content=json.dumps(body, ensure_ascii=False).encode("utf-8"),
                headers={"Content-Type": "application/json"},
                timeout_s=s.timeout_s,
                redact=token or None,
            )
            try:
                ok = bool(resp.json().get("ok"))
            except (ValueError, AttributeError):
                ok = False
            if not ok:
                raise ChannelError(self.name, f"chat {chat_id}: answer without ok=true")

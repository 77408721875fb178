"""Notification channels and their construction from settings."""

from __future__ import annotations

from provnet.alerts.notify.channels.alertmanager import AlertmanagerChannel
from provnet.alerts.notify.channels.base import Channel
from provnet.alerts.notify.channels.smtp import EmailChannel
from provnet.alerts.notify.channels.telegram import TelegramChannel
from provnet.alerts.notify.channels.webhook import WebhookChannel
from provnet.config.notify import NotifierSettings

__all__ = [
    "AlertmanagerChannel",
    "Channel",
    "EmailChannel",
    "TelegramChannel",
    "WebhookChannel",
    "build_channels",
]


def build_channels(settings: NotifierSettings) -> list[Channel]:
    """The enabled channels, in a fixed order."""
    lang, tz = settings.language, settings.timezone
    out: list[Channel] = []
    if settings.webhook.enabled:
        out.append(WebhookChannel(settings.webhook, lang))
    if settings.email.enabled:
        out.append(EmailChannel(settings.email, lang, tz))
    if settings.telegram.enabled:
        out.append(TelegramChannel(settings.telegram, lang, tz))
    if settings.alertmanager.enabled:
        out.append(AlertmanagerChannel(settings.alertmanager, lang))
    return out

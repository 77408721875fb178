"""Prometheus Alertmanager channel: ``POST {url}/api/v2/alerts``, one alert per incident."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from provnet.alerts.notify.channels.http import post
from provnet.alerts.notify.channels.payloads import alertmanager_alerts
from provnet.alerts.notify.types import Notification, Rendered
from provnet.config.notify import AlertmanagerSettings


class AlertmanagerChannel:
    """Re-posts the incident's alert on every event; resolution sets ``endsAt``."""

    name = "alertmanager"

    def __init__(
        self,
        settings: AlertmanagerSettings,
        default_language: str = "vi",
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.settings = settings
        self.language = settings.language or default_language
        self.clock = clock

    async def send(self, n: Notification, rendered: Rendered) -> None:
        """POST the alert; ChannelError on a transport error or non-2xx answer."""
        s = self.settings
        alerts = alertmanager_alerts(n, rendered, self.clock(), timedelta(seconds=s.firing_ttl_s),
                                     self.language)
        auth = None
        if s.username is not None:
            auth = (s.username, s.password.get_secret_value() if s.password else "")
        await post(
            self.name,
            f"{(s.url or '').rstrip('/')}/api/v2/alerts",
            content=json.dumps(alerts, ensure_ascii=False).encode("utf-8"),
            headers={"Content-Type": "application/json"},
            timeout_s=s.timeout_s,
            auth=auth,
        )

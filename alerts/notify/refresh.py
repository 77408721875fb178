"""Keep open incidents firing in Alertmanager.

Alertmanager ends an alert at its ``endsAt``; provnet posts a firing alert with ``endsAt`` =
now + ``firing_ttl_s`` and re-posts the latest notification of every incident that is still
open (its latest notification is not a resolution) every ``firing_ttl_s / 3``. If provnet
stops, Alertmanager resolves its alerts after the TTL, as it does for a silent Prometheus.
"""

from __future__ import annotations

import json
import logging
import time

from sqlalchemy import func, select

from provnet.alerts.notify.channels.alertmanager import AlertmanagerChannel
from provnet.alerts.notify.codec import from_dict
from provnet.alerts.notify.errors import NotifyError
from provnet.alerts.notify.model import OutboxDelivery, OutboxNotification
from provnet.alerts.notify.render import Language, render
from provnet.alerts.notify.types import Notification
from provnet.inventory.store import Store

log = logging.getLogger(__name__)


def open_incident_notifications(store: Store, channel: str) -> list[Notification]:
    """Latest notification of each incident still open, once delivered over ``channel``."""
    latest = (
        select(func.max(OutboxNotification.id))
        .where(OutboxNotification.event != "test")
        .group_by(OutboxNotification.incident_id)
    )
    q = (
        select(OutboxNotification.payload)
        .join(OutboxDelivery, OutboxDelivery.notification_id == OutboxNotification.id)
        .where(
            OutboxNotification.id.in_(latest.scalar_subquery()),
            OutboxNotification.event != "resolved",
            OutboxDelivery.channel == channel,
            OutboxDelivery.status == "delivered",
        )
        .order_by(OutboxNotification.incident_id)
    )
    with store.session() as s:
        return [from_dict(json.loads(p)) for p in s.scalars(q)]


class AlertmanagerRefresher:
    """Re-posts open incidents to Alertmanager at start and then every TTL / 3."""

    def __init__(self, store: Store, channel: AlertmanagerChannel, tz: str) -> None:
        self.store, self.channel, self.tz = store, channel, tz
        self.interval_s = channel.settings.firing_ttl_s / 3
        self._next = 0.0  # monotonic time of the next refresh: at once

    async def maybe_refresh(self) -> int:
        """Refresh if due; returns how many incidents were re-posted."""
        if time.monotonic() < self._next:
            return 0
        self._next = time.monotonic() + self.interval_s
        done = 0
        for n in open_incident_notifications(self.store, self.channel.name):
            lang: Language = "en" if self.channel.language == "en" else "vi"
            try:
                await self.channel.send(n, render(n, lang, tz=self.tz))
                done += 1
            except NotifyError as exc:  # next refresh, or the next event, tries again
                log.warning("alertmanager refresh of %s failed: %s", n.key, exc)
        return done

"""``provnet alerts test-notify``: one test notification through every configured channel."""

from __future__ import annotations

from datetime import UTC, datetime

from provnet.alerts.notify.outbox import DeliveryRecord, Outbox
from provnet.alerts.notify.types import AffectedSite, IncidentSummary, Notification

TEST_INCIDENT_ID = 0  # test notifications share one ordering queue, apart from incidents


def make_test_notification(now: datetime | None = None) -> Notification:
    """A notification with a sample affected site, keyed by the time (unique per second)."""
    now = now or datetime.now(UTC)
    incident = IncidentSummary(
        id=TEST_INCIDENT_ID,
        title="Kiểm tra kênh thông báo provnet",
        severity="info",
        status="open",
        root_cause="provnet alerts test-notify",
        root_site_code=None,
        started_at=now,
        resolved_at=None,
        acked_by=None,
        affected=(
            AffectedSite("UB-30544", "UBND xã Lương Phi", "Xã Lương Phi", "Huyện Tri Tôn", "test"),
        ),
        labels={},
        url=None,
        title_en="provnet notification channel check",
    )
    return Notification(key=f"test-{now:%Y%m%dT%H%M%S.%f}", event="test", incident=incident)


async def send_test_notification(
    outbox: Outbox, now: datetime | None = None
) -> list[DeliveryRecord]:
    """Enqueue a test notification, try each channel once, and report per channel.

    A channel that failed is marked failed (not retried later by the service).
    """
    n = make_test_notification(now)
    outbox.enqueue(n)
    await outbox.deliver_due(keys=[n.key])
    outbox.cancel(n.key, reason="test-notify: not retried")
    return sorted(outbox.deliveries(key=n.key), key=lambda d: d.channel)

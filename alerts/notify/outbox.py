"""The outbox: notifications persisted in SQL before anything is sent, delivered with retries.

* ``enqueue`` is idempotent by the notification key and commits before returning.
* One delivery row per (notification, channel); a delivery is retried with exponential
  backoff and jitter until delivered, or until ``max_attempts``/``max_age_s`` (then it is
  marked failed and logged; the row stays visible).
* Per (incident, channel), deliveries go out in enqueue order: a resolution is never sent
  before its firing (only after the firing was delivered or gave up).
* A delivery is claimed with a short lease before sending, so a second Outbox on the same
  store (``provnet alerts test-notify`` next to the service) does not send it twice, and a
  process killed mid-send retries it after the lease. Delivery is at-least-once.
* ``run`` makes every pending delivery due when it starts: after a restart, what was pending
  at shutdown goes out at once instead of waiting out the old backoff.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from provnet.alerts.notify.channels import build_channels
from provnet.alerts.notify.channels.alertmanager import AlertmanagerChannel
from provnet.alerts.notify.channels.base import Channel
from provnet.alerts.notify.codec import from_dict, to_dict
from provnet.alerts.notify.errors import ChannelError, NotifyError
from provnet.alerts.notify.model import OutboxDelivery, OutboxNotification
from provnet.alerts.notify.refresh import AlertmanagerRefresher
from provnet.alerts.notify.render import render
from provnet.alerts.notify.types import Notification, Rendered
from provnet.config.notify import NotifierSettings, RetryPolicy
from provnet.inventory.store import Store

log = logging.getLogger(__name__)
LEASE = timedelta(seconds=30)
MAX_PARALLEL = 8


def backoff_delay(policy: RetryPolicy, attempts: int, rand: float) -> float:
    """Seconds before attempt ``attempts + 1``; ``rand`` in [0, 1) spreads it by ±jitter."""
    base = min(policy.max_delay_s, policy.initial_s * policy.factor ** max(attempts - 1, 0))
    return base * (1 + policy.jitter * (2 * rand - 1))


def _utc(ts: datetime) -> datetime:
    """SQLite hands back naive datetimes; every stored time is UTC."""
    return ts if ts.tzinfo else ts.replace(tzinfo=UTC)


@dataclass(frozen=True)
class DeliveryRecord:
    """One delivery as shown by the CLI/API."""

    key: str
    event: str
    incident_id: int
    channel: str
    status: str
    attempts: int
    last_error: str | None
    next_attempt_at: datetime
    delivered_at: datetime | None


@dataclass(frozen=True)
class _Due:
    delivery_id: int
    incident_id: int
    channel: str
    attempts: int
    next_attempt_at: datetime
    created_at: datetime
    key: str
    payload: str


class Outbox:
    """Persisted notification queue with a delivery loop (see the module docstring)."""

    def __init__(
        self,
        store: Store,
        settings: NotifierSettings,
        channels: Sequence[Channel] | None = None,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        rng: Callable[[], float] = random.random,
    ) -> None:
        self.store = store
        self.settings = settings
        self.channels: dict[str, Channel] = {
            c.name: c for c in (build_channels(settings) if channels is None else channels)
        }
        self.clock = clock
        self.rng = rng
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None

    # -- enqueue ---------------------------------------------------------------------------
    def enqueue(self, n: Notification) -> bool:
        """Persist ``n`` with one pending delivery per channel; False if its key was seen."""
        now = self.clock()
        try:
            with self.store.session() as s:
                if s.scalar(select(OutboxNotification.id).where(OutboxNotification.key == n.key)):
                    return False
                row = OutboxNotification(
                    key=n.key,
                    incident_id=n.incident.id,
                    event=n.event,
                    payload=json.dumps(to_dict(n), ensure_ascii=False),
                    created_at=now,
                )
                s.add(row)
                s.flush()
                for name in self.channels:
                    s.add(self._new_delivery(row.id, n.incident.id, name, now))
        except IntegrityError:  # the same key enqueued concurrently
            return False
        self._poke()
        return True

    @staticmethod
    def _new_delivery(nid: int, incident_id: int, channel: str, now: datetime) -> OutboxDelivery:
        return OutboxDelivery(
            notification_id=nid,
            incident_id=incident_id,
            channel=channel,
            status="pending",
            attempts=0,
            next_attempt_at=now,
            created_at=now,
            updated_at=now,
        )

    def _poke(self) -> None:
        loop, wake = self._loop, self._wake
        if loop is not None and wake is not None and not loop.is_closed():
            loop.call_soon_threadsafe(wake.set)

    # -- queries ---------------------------------------------------------------------------
    def queued(self, key: str) -> int:
        """How many channels ``key`` was queued to (deliveries of any status; 0 when it was
        never enqueued or enqueued while no channel was configured)."""
        with self.store.session() as s:
            return int(
                s.scalar(
                    select(func.count(OutboxDelivery.id))
                    .join(OutboxNotification,
                          OutboxNotification.id == OutboxDelivery.notification_id)
                    .where(OutboxNotification.key == key)
                )
                or 0
            )

    def pending(self) -> int:
        """Deliveries still to be made over the configured channels."""
        with self.store.session() as s:
            return int(
                s.scalar(
                    select(func.count(OutboxDelivery.id)).where(
                        OutboxDelivery.status == "pending",
                        OutboxDelivery.channel.in_(list(self.channels)),
                    )
                )
                or 0
            )

    def deliveries(
        self, key: str | None = None, status: str | None = None, limit: int = 100
    ) -> list[DeliveryRecord]:
        """Newest deliveries first, optionally for one notification key or one status."""
        q = select(OutboxDelivery, OutboxNotification).join(
            OutboxNotification, OutboxNotification.id == OutboxDelivery.notification_id
        )
        if key is not None:
            q = q.where(OutboxNotification.key == key)
        if status is not None:
            q = q.where(OutboxDelivery.status == status)
        q = q.order_by(OutboxDelivery.id.desc()).limit(limit)
        with self.store.session() as s:
            return [
                DeliveryRecord(
                    key=n.key,
                    event=n.event,
                    incident_id=n.incident_id,
                    channel=d.channel,
                    status=d.status,
                    attempts=d.attempts,
                    last_error=d.last_error,
                    next_attempt_at=_utc(d.next_attempt_at),
                    delivered_at=_utc(d.delivered_at) if d.delivered_at else None,
                )
                for d, n in s.execute(q)
            ]

    def cancel(self, key: str, reason: str = "cancelled") -> int:
        """Mark the pending deliveries of ``key`` failed, keeping their last error; how many."""
        now = self.clock()
        ids = select(OutboxNotification.id).where(OutboxNotification.key == key)
        with self.store.session() as s:
            res = s.execute(
                update(OutboxDelivery)
                .where(
                    OutboxDelivery.notification_id.in_(ids.scalar_subquery()),
                    OutboxDelivery.status == "pending",
                )
                .values(
                    status="failed",
                    last_error=func.coalesce(OutboxDelivery.last_error, reason),
                    updated_at=now,
                )
                .execution_options(synchronize_session=False)
            )
            return int(getattr(res, "rowcount", 0))

    # -- delivery --------------------------------------------------------------------------
    def _pending_rows(self, keys: Collection[str] | None) -> list[_Due]:
        q = (
            select(OutboxDelivery, OutboxNotification)
            .join(OutboxNotification, OutboxNotification.id == OutboxDelivery.notification_id)
            .where(
                OutboxDelivery.status == "pending",
                OutboxDelivery.channel.in_(list(self.channels)),
            )
            .order_by(OutboxDelivery.notification_id)
        )
        if keys is not None:
            q = q.where(OutboxNotification.key.in_(list(keys)))
        with self.store.session() as s:
            return [
                _Due(
                    delivery_id=d.id,
                    incident_id=d.incident_id,
                    channel=d.channel,
                    attempts=d.attempts,
                    next_attempt_at=_utc(d.next_attempt_at),
                    created_at=_utc(n.created_at),
                    key=n.key,
                    payload=n.payload,
                )
                for d, n in s.execute(q)
            ]

    async def deliver_due(self, keys: Collection[str] | None = None) -> int:
        """One pass: send every due delivery (in order per incident and channel).

        ``keys`` limits the pass to those notifications (``test-notify``). Returns how many
        deliveries succeeded.
        """
        queues: dict[tuple[str, int], list[_Due]] = {}
        for row in await asyncio.to_thread(self._pending_rows, keys):
            queues.setdefault((row.channel, row.incident_id), []).append(row)
        gate = asyncio.Semaphore(MAX_PARALLEL)
        rendered: dict[tuple[str, str], Rendered] = {}

        async def drain(rows: list[_Due]) -> int:
            async with gate:
                done = 0
                for row in rows:  # head of line first; stop at the first one not sent
                    outcome = await self._attempt(row, rendered)
                    if outcome == "delivered":
                        done += 1
                    elif outcome != "failed":
                        break
                return done

        results = await asyncio.gather(*(drain(rows) for rows in queues.values()))
        return sum(results)

    def _claim(self, row: _Due, now: datetime) -> bool:
        with self.store.session() as s:
            res = s.execute(
                update(OutboxDelivery)
                .where(
                    OutboxDelivery.id == row.delivery_id,
                    OutboxDelivery.status == "pending",
                    OutboxDelivery.next_attempt_at == row.next_attempt_at,
                )
                .values(next_attempt_at=now + LEASE, updated_at=now)
            )
            return bool(getattr(res, "rowcount", 0))

    def _render(
        self, row: _Due, channel: Channel, cache: dict[tuple[str, str], Rendered]
    ) -> tuple[Notification, Rendered]:
        n = from_dict(json.loads(row.payload))
        language = getattr(channel, "language", None) or self.settings.language
        if (row.key, language) not in cache:
            cache[(row.key, language)] = render(n, language, tz=self.settings.timezone)
        return n, cache[(row.key, language)]

    async def _attempt(self, row: _Due, cache: dict[tuple[str, str], Rendered]) -> str:
        """Try one delivery: 'delivered', 'failed' (gave up), 'retry' or 'skipped'.

        Database work runs in a worker thread: a SQLite commit (fsync) must not stall the
        poller sharing this event loop.
        """
        now = self.clock()
        if row.next_attempt_at > now or not await asyncio.to_thread(self._claim, row, now):
            return "skipped"
        channel = self.channels[row.channel]
        error: str | None = None
        retryable = True
        try:
            n, rendered = self._render(row, channel, cache)
            await channel.send(n, rendered)
        except asyncio.CancelledError:
            self._release(row.delivery_id)
            raise
        except ChannelError as exc:
            error, retryable = str(exc), exc.retryable
        except NotifyError as exc:
            error, retryable = str(exc), False
        except Exception as exc:  # a channel bug must not stop the loop; keep the row
            log.exception("channel %s raised on %s", row.channel, row.key)
            error = f"{type(exc).__name__}: {exc}"
        if error is not None:
            return await asyncio.to_thread(self._failed, row, error, retryable)
        await asyncio.to_thread(
            self._finish, row.delivery_id, status="delivered", attempts=row.attempts + 1
        )
        return "delivered"

    def _failed(self, row: _Due, error: str, retryable: bool) -> str:
        now = self.clock()
        policy = self.settings.retry
        attempts = row.attempts + 1
        too_old = (now - row.created_at).total_seconds() >= policy.max_age_s
        if not retryable or attempts >= policy.max_attempts or too_old:
            log.warning(
                "notification %s over %s failed after %d attempt(s), giving up: %s",
                row.key,
                row.channel,
                attempts,
                error,
            )
            self._finish(row.delivery_id, status="failed", attempts=attempts, error=error)
            return "failed"
        delay = backoff_delay(policy, attempts, self.rng())
        log.info("notification %s over %s: %s; retry in %.1f s", row.key, row.channel, error, delay)
        with self.store.session() as s:
            s.execute(
                update(OutboxDelivery)
                .where(OutboxDelivery.id == row.delivery_id)
                .values(
                    attempts=attempts,
                    last_error=error,
                    next_attempt_at=now + timedelta(seconds=delay),
                    updated_at=now,
                )
            )
        return "retry"

    def _finish(
        self, delivery_id: int, status: str, attempts: int, error: str | None = None
    ) -> None:
        now = self.clock()
        values: dict[str, object] = {"status": status, "attempts": attempts, "updated_at": now}
        if status == "delivered":
            values["delivered_at"] = now
        else:
            values["last_error"] = error
        with self.store.session() as s:
            s.execute(
                update(OutboxDelivery).where(OutboxDelivery.id == delivery_id).values(**values)
            )

    def _release(self, delivery_id: int) -> None:
        with self.store.session() as s:
            s.execute(
                update(OutboxDelivery)
                .where(OutboxDelivery.id == delivery_id, OutboxDelivery.status == "pending")
                .values(next_attempt_at=self.clock())
            )

    def _retry_now(self) -> None:
        """On start, pending deliveries are due at once: a restart often follows a fix."""
        now = self.clock()
        with self.store.session() as s:
            s.execute(
                update(OutboxDelivery)
                .where(OutboxDelivery.status == "pending", OutboxDelivery.next_attempt_at > now)
                .values(next_attempt_at=now)
            )

    async def run(self, stop: asyncio.Event) -> None:
        """Deliver until ``stop`` is set; woken at once by ``enqueue``, else every poll interval.

        Never raises (a failing pass is logged and retried), so it can be a service task.
        """
        self._loop, self._wake = asyncio.get_running_loop(), asyncio.Event()
        self._retry_now()
        am = self.channels.get("alertmanager")
        refresher = (
            AlertmanagerRefresher(self.store, am, self.settings.timezone)
            if isinstance(am, AlertmanagerChannel)
            else None
        )
        try:
            while not stop.is_set():
                self._wake.clear()
                try:
                    await self.deliver_due()
                    if refresher is not None:
                        await refresher.maybe_refresh()
                except Exception:  # e.g. the database is briefly locked: try again next tick
                    log.exception("outbox delivery pass failed")
                await _wait_any(stop, self._wake, self.settings.poll_interval_s)
        finally:
            self._loop = self._wake = None


async def _wait_any(a: asyncio.Event, b: asyncio.Event, timeout: float) -> None:
    tasks = [asyncio.ensure_future(a.wait()), asyncio.ensure_future(b.wait())]
    try:
        await asyncio.wait(tasks, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for t in tasks:
            t.cancel()

"""Hand-over of decided notifications to the outbox, and the ``notified`` flag it earns.

The incident book commits its decisions (firing, escalation n, resolution) first; here each
becomes a :class:`Notification` built from the incident as it is now (owner, escalation
contacts, recent configuration changes) and is enqueued under its idempotent key. An
incident is ``notified`` once one of its notifications was queued to at least one configured
channel; a firing that reached none says so in the incident's history.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import select

from provnet.alerts.changes import recent_changes
from provnet.alerts.escalation import (
    escalation_contacts,
    from_settings,
    load_contacts,
    merged,
)
from provnet.alerts.model import Acknowledgement, Incident, IncidentEvent
from provnet.alerts.notes import notification
from provnet.alerts.notify.types import Contact, Event, Notification
from provnet.alerts.view import InventoryView
from provnet.config.settings import AlertSettings
from provnet.inventory.store import Store


class Enqueuer(Protocol):
    """The outbox side: persist a notification once per key."""

    def enqueue(self, n: Notification) -> bool:
        """Persist ``n``; False when its key was already enqueued."""
        ...

    def queued(self, key: str) -> int:
        """How many channels the notification ``key`` was queued to (0: none, or unknown)."""
        ...


@dataclass(frozen=True)
class Decision:
    """Notification number ``n`` of ``event`` for an incident, committed before hand-over."""

    incident_id: int
    event: Event
    n: int


class Handover:
    """Builds and enqueues the notifications of committed decisions."""

    def __init__(self, store: Store, outbox: Enqueuer, view: InventoryView,
                 settings: AlertSettings, clock: Callable[[], float]) -> None:
        self.store, self.outbox, self.view = store, outbox, view
        self.settings, self.clock = settings, clock

    def deliver(self, decisions: list[Decision]) -> list[Notification]:
        """Enqueue each decision's notification; those not enqueued before are returned."""
        if not decisions:
            return []
        out: list[tuple[Notification, bool]] = []  # (notification, incident notified before)
        with self.store.session() as s:
            for d in decisions:
                inc = s.get(Incident, d.incident_id)
                if inc is None:
                    continue
                ack = s.scalars(select(Acknowledgement).where(
                    Acknowledgement.incident_id == inc.id)
                    .order_by(Acknowledgement.id.desc())).first()
                contacts: tuple[Contact, ...] = ()
                if d.event == "escalated":
                    site = self._site_contact(inc.root_site_code)
                    people = merged(load_contacts(s), from_settings(self.settings.contacts))
                    contacts = escalation_contacts(inc, d.n, self.clock(), people, site)
                owner = ack.owner if ack and inc.status == "acknowledged" else None
                changes = recent_changes(s, inc, self.clock(),
                                         self.settings.config_change_window_s)
                out.append((notification(inc, d.event, d.n, owner, self.settings.public_url,
                                         contacts, changes), inc.notified))
        sent: list[Notification] = []
        reached: dict[int, tuple[Notification, int]] = {}  # not yet notified -> n, channels
        for n, notified in out:
            new = self.outbox.enqueue(n)
            if new:
                sent.append(n)
            if not notified and n.incident.id not in reached:
                channels = self.outbox.queued(n.key)
                if channels or (new and n.event == "firing"):
                    reached[n.incident.id] = (n, channels)
        if reached:
            self._mark_notified(reached)
        return sent

    def _mark_notified(self, reached: dict[int, tuple[Notification, int]]) -> None:
        """Set ``notified`` of incidents whose notification reached a channel; say in the
        history when a firing reached none."""
        now = self.clock()
        with self.store.session() as s:
            for incident_id, (n, channels) in reached.items():
                inc = s.get(Incident, incident_id)
                if inc is None or inc.notified:
                    continue
                if channels:
                    inc.notified = True
                    detail = f"{n.event} notification queued to {channels} channel(s)"
                else:
                    detail = "no notification channel is configured: nobody was told"
                s.add(IncidentEvent(incident_id=inc.id, time=now,
                                    kind="notified" if channels else "not_notified",
                                    detail=detail))

    def _site_contact(self, site_code: str | None) -> str | None:
        for d in self.view.devices.values():
            if d.site_code == site_code:
                return d.site_contact
        return None

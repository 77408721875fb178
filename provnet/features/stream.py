"""Live updates: at the end of each poll cycle, what changed goes to ``/api/v1/stream``."""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from provnet.alerts.model import Incident, IncidentEvent
from provnet.api.events import EventHub
from provnet.api.stream import stream_router
from provnet.inventory import queries
from provnet.inventory.queries import LinkRecord
from provnet.pollers.changes import LinkState, link_changes, link_states
from provnet.pollers.scheduler import CycleStats
from provnet.pollers.types import IfRates, PollResult

if TYPE_CHECKING:
    from provnet.service import Service

log = logging.getLogger(__name__)
MAX_INCIDENT_EVENTS = 200  # per cycle; more are summarised by a count


class CycleEvents:
    """A result consumer: the one producer of the hub."""

    def __init__(self, service: Service, hub: EventHub) -> None:
        self.service, self.hub = service, hub
        self._links: list[LinkRecord] | None = None
        self._before: dict[int, LinkState] = {}
        self._last_event = self._max_event_id()

    def on_result(self, result: PollResult, rates: dict[int, IfRates]) -> None:
        """Nothing per device: changes are sent per cycle."""

    def on_cycle(self, stats: CycleStats) -> None:
        """Publish the cycle, the links that changed, the new incident history."""
        cfg = self.service.settings.poller
        if self._links is None:
            with self.service.store.session() as s:
                self._links = queries.links(s)
        now = link_states(self._links, self.service.live, time.time(),
                          cfg.interval_s * cfg.stale_after_intervals)
        changes = link_changes(self._before, now)
        self._before = now
        self.hub.publish("cycle", {"cycle": self.service.stats.cycles, "time": time.time(),
                                   "devices_ok": stats.devices_ok,
                                   "devices_failed": stats.devices_failed,
                                   "links_changed": len(changes)})
        if changes:
            self.hub.publish("links", changes)
        events = self._incident_events()
        if events:
            self.hub.publish("incidents", events)

    def _max_event_id(self) -> int:
        try:
            with self.service.store.session() as s:
                return int(s.scalar(select(func.max(IncidentEvent.id))) or 0)
        except SQLAlchemyError:  # no alert tables (alerting off, old database): no incident events
            log.info("no incident history table: the stream sends link changes only")
            return -1

    def _incident_events(self) -> list[dict[str, Any]]:
        if self._last_event < 0:
            return []
        with self.service.store.session() as s:
            rows = s.execute(select(IncidentEvent, Incident.district)
                             .join(Incident, IncidentEvent.incident_id == Incident.id)
                             .where(IncidentEvent.id > self._last_event)
                             .order_by(IncidentEvent.id).limit(MAX_INCIDENT_EVENTS)).all()
            out: list[dict[str, Any]] = [
                {"id": r.id, "incident_id": r.incident_id, "time": r.time, "kind": r.kind,
                 "detail": r.detail, "district": district} for r, district in rows]
            if rows:
                self._last_event = rows[-1][0].id
        return out


def attach(service: Service) -> EventHub:
    """The hub, its producer and its routes."""
    hub = EventHub()
    service.event_hub = hub  # the API front (api.front) subscribes its own copy to it
    service.consumers.append(CycleEvents(service, hub))
    service.routers.append(stream_router(hub))
    return hub

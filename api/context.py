"""What the API reads: the inventory store, the live state, InfluxDB status, poller stats."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from provnet.inventory import queries
from provnet.inventory.queries import LinkRecord
from provnet.inventory.store import Store
from provnet.pollers.live import LiveState
from provnet.pollers.types import SnmpTarget


class InfluxStatus(Protocol):
    """Anything that can tell whether InfluxDB answers (``tsdb.client.InfluxQLReader``)."""

    def ping(self) -> Any:
        """Return an object with ``ok``, ``version`` and ``error`` attributes."""
        ...


@dataclass
class ApiContext:
    """Everything the routers need, built by the composition root."""

    store: Store
    live: LiveState
    influx: InfluxStatus | None = None
    influx_url: str | None = None
    stale_after_s: float = 150.0
    poller_stats: Callable[[], dict[str, Any]] = dict
    #: the polled devices (the poll plan's targets)
    targets: Callable[[], Sequence[SnmpTarget]] = tuple
    #: ICMP loss at or above this makes a device "degraded" (settings ``icmp.degraded_loss_pct``)
    degraded_loss_pct: float = 25.0
    started: float = field(default_factory=time.time)
    #: told (route template, method, seconds) of every request (self-metrics)
    request_observers: Sequence[Callable[[str, str, float], None]] = ()
    _links: list[LinkRecord] | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def links(self) -> list[LinkRecord]:
        """Links from the inventory, cached (the inventory changes rarely)."""
        with self._lock:
            if self._links is None:
                with self.store.session() as s:
                    self._links = queries.links(s)
            return self._links

    def invalidate(self) -> None:
        """Forget cached inventory reads after an inventory change."""
        with self._lock:
            self._links = None

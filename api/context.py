"""What the API reads: the inventory store, the live state, InfluxDB status, poller stats."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from provnet.api.auth import ApiAuth
from provnet.inventory import queries
from provnet.inventory.queries import DeviceRecord, LinkRecord
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
    #: polling cycles ended so far: with it, live answers are materialised once per cycle
    #: (``api/cache.py``); without it (tests driving the live state by hand) nothing is cached
    cycles: Callable[[], int] | None = None
    #: figures of the answer cache, filled in when the app is built
    cache_figures: Callable[[], dict[str, int]] = dict
    #: figures of the API front's answer cache (``api.front``), ``front_cache_*``
    front_figures: Callable[[], dict[str, int]] = dict
    inventory_version: int = 0
    #: told (route template, method, seconds) of every request (self-metrics)
    request_observers: Sequence[Callable[[str, str, float], None]] = ()
    #: who may do what (``api/auth.py``); None only for in-process test apps: the service
    #: always sets it
    auth: ApiAuth | None = None
    _links: list[LinkRecord] | None = None
    _devices: list[DeviceRecord] | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def links(self) -> list[LinkRecord]:
        """Links from the inventory, cached (the inventory changes rarely)."""
        with self._lock:
            if self._links is None:
                with self.store.session() as s:
                    self._links = queries.links(s)
            return self._links

    def devices(self) -> list[DeviceRecord]:
        """Devices from the inventory, cached like :meth:`links`."""
        with self._lock:
            if self._devices is None:
                with self.store.session() as s:
                    self._devices = queries.devices(s)
            return self._devices

    def invalidate(self) -> None:
        """Forget cached inventory reads after an inventory change."""
        with self._lock:
            self._links = None
            self._devices = None
            self.inventory_version += 1

    def inventory_token(self) -> Hashable:
        """What an answer from the inventory alone depends on."""
        return self.inventory_version

    def token(self) -> Hashable:
        """What a materialised answer depends on: the cycle, the inventory, traps."""
        cycle = self.cycles() if self.cycles else None
        return (cycle, self.inventory_version, self.live.trap_changes)

    def stale_ok(self, old: Hashable, new: Hashable) -> bool:
        """May an answer of generation ``old`` be served while ``new``'s is built?

        Only when the poll cycle alone moved: an inventory change or a trap's interface change
        must show at once (``api/cache.py``, stale while revalidate).
        """
        if not (isinstance(old, tuple) and isinstance(new, tuple)) or len(old) != len(new):
            return False
        return old[1:] == new[1:]

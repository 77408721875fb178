"""History attached to the service: rollups computed from the stream, link status changes,
retention at start, and the history/availability routes.

Every batch of points on its way to InfluxDB passes through the rollup aggregator (a point
tap); each cycle the links' statuses become ``link_state`` samples (rolled up into the
availability figures) and, on change, ``link_status`` points (the timeline, kept with the
1-hour rollups). A background task writes closed buckets; at start it first reads back the
raw samples of the current and previous hour, so a restart does not leave partial buckets.

The tap only queues a batch (the service calls it on its event loop); the aggregation runs in
a worker thread (``drain``), since a cycle's thousands of points took 0.1-0.3 s of the loop
that also answers the API (issue 14). The link list follows inventory reloads (``reload``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar

from provnet.api.history import history_router
from provnet.inventory import queries
from provnet.inventory.queries import LinkRecord
from provnet.pollers.history_query import HistorySource
from provnet.pollers.linkstatus import LinkStatusTracker
from provnet.pollers.live import link_health
from provnet.pollers.rebuild import feed_raw
from provnet.pollers.rollup import RollupAggregator
from provnet.pollers.scheduler import CycleStats
from provnet.pollers.types import IfRates, PollResult
from provnet.tsdb.client import InfluxQLReader, Writer, api_for_version
from provnet.tsdb.errors import TsdbError
from provnet.tsdb.history import HistoryReader, InfluxHistory
from provnet.tsdb.influxql import quote_ident
from provnet.tsdb.points import Point
from provnet.tsdb.retention import (
    WIDTH_MEASUREMENT,
    apply_retention,
    locations,
    rollup_writers,
)

if TYPE_CHECKING:
    from provnet.service import Service

log = logging.getLogger(__name__)
T = TypeVar("T")
MAX_PENDING_POINTS = 500_000  # rollup points kept for retry while the store is away


@dataclass
class HistoryHandle:
    """The running feature: what self-metrics and tests look at."""

    aggregator: RollupAggregator
    writers: dict[int, Writer]
    source: HistorySource
    since_ns: int
    pending: dict[int, list[Point]] = field(default_factory=dict)
    written: int = 0
    write_failures: int = 0
    last_bucket_end: float | None = None  # end of the newest 5-minute bucket written
    #: link status changes, appended on the loop, taken in the writer's thread
    status_changes: deque[Point] = field(default_factory=deque)
    #: the links whose status is sampled (replaced on inventory reloads)
    links: list[LinkRecord] = field(default_factory=list)
    load_links: Callable[[], list[LinkRecord]] | None = None
    inbox: deque[list[Point]] = field(default_factory=deque)  # batches not aggregated yet
    wake: Callable[[], None] | None = None  # set by the running task: a batch is queued
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def closed(self, now: float, grace_s: float) -> dict[int, list[Point]]:
        """In a worker thread: closed buckets plus the queued status changes (kept with 1 h)."""
        self.drain()
        with self._lock:
            out = self.aggregator.flush(now, grace_s)
        changes = _take(self.status_changes)
        if changes:
            out.setdefault(3600, []).extend(changes)
        return out

    def tap(self, points: list[Point]) -> None:
        """On the loop: queue a batch for the aggregator (cheap; see :meth:`drain`)."""
        self.inbox.append(points)
        if self.wake is not None:
            self.wake()

    def drain(self) -> int:
        """In a worker thread: feed the queued batches to the aggregator; points taken."""
        n = 0
        with self._lock:
            for points in _take(self.inbox):
                n += len(points)
                self.aggregator.add_points(p for p in points
                                           if p.time_ns is not None and p.time_ns >= self.since_ns)
        return n

    def reload(self) -> None:
        """After an inventory change (any thread): sample the links the inventory has now."""
        if self.load_links is not None:
            self.links = self.load_links()

    def lag_s(self, now: float) -> float | None:
        """How far the written 5-minute rollups are behind ``now``."""
        return None if self.last_bucket_end is None else max(0.0, now - self.last_bucket_end)

    def write(self, batches: dict[int, list[Point]]) -> None:
        """Write closed buckets (and any kept from a failed write); keep them on failure."""
        for width, pts in batches.items():
            self.pending.setdefault(width, []).extend(pts)
        for width, pts in list(self.pending.items()):
            if not pts:
                continue
            try:
                self.writers[width].write(pts)
            except TsdbError as exc:
                self.write_failures += 1
                log.warning("writing %d rollup points failed (kept for retry): %s", len(pts), exc)
                self.pending[width] = pts[-MAX_PENDING_POINTS:]
                continue
            self.written += len(pts)
            if width == 300:
                self.last_bucket_end = max(p.time_ns or 0 for p in pts) / 1e9 + 300
            self.pending[width] = []


def _link_statuses(service: Service, links: list[LinkRecord], now: float
                   ) -> dict[int, tuple[str, str]]:
    cfg = service.settings.poller
    stale = cfg.interval_s * cfg.stale_after_intervals
    live = service.live
    out: dict[int, tuple[str, str]] = {}
    for r in links:
        h = link_health(live.interface(r.a_device_id, r.a_ifindex),
                        live.interface(r.z_device_id, r.z_ifindex), live.device(r.a_device_id),
                        live.device(r.z_device_id), r.capacity_mbps, now, stale)
        out[r.id] = (h.status, h.reason_code or "")
    return out


class _Consumer:
    """Turns each cycle's link statuses into points."""

    def __init__(self, service: Service, handle: HistoryHandle) -> None:
        self.service, self.handle = service, handle
        self.tracker = LinkStatusTracker()
        self._tagged: list[LinkRecord] | None = None
        self.tags: dict[int, dict[str, str]] = {}

    def on_result(self, result: PollResult, rates: dict[int, IfRates]) -> None:
        """Nothing per device: rollups come through the point tap."""

    def on_cycle(self, stats: CycleStats) -> None:
        """Sample every link's status once per cycle."""
        now = time.time()
        links = self.handle.links
        if links is not self._tagged:  # first cycle, or the inventory changed
            self._tagged = links
            self.tags = {r.id: {k: v for k, v in (("commune", r.commune_code),
                                                  ("district", r.district_code)) if v}
                         for r in links}
        samples, changes = self.tracker.observe(_link_statuses(self.service, links, now),
                                                self.tags, round(now * 1e6) * 1000)
        self.service.queue_points(samples)
        self.handle.status_changes.extend(changes)


def attach(service: Service) -> HistoryHandle | None:
    """Rollups, retention and the history routes (None when disabled or no store)."""
    cfg = service.settings.history
    if not cfg.enabled:
        return None
    if service.victoria is not None:
        parts = _victoria_parts(service)
    elif service.reader is not None:
        parts = _influx_parts(service)
    else:
        return None
    readers, sources, status_rp, writers, retention = parts
    retention_pending = retention is not None and not retention()
    source = HistorySource(readers, sources, cfg, service.settings.poller.interval_s,
                           status_rp=status_rp)
    for w in writers.values():
        service.closers.append(w.close)
    since = time.time()
    handle = HistoryHandle(RollupAggregator(), writers, source, int(since * 1e9))

    def load_links() -> list[LinkRecord]:
        with service.store.session() as s:
            return queries.links(s)

    handle.load_links = load_links
    handle.reload()
    service.point_taps.append(handle.tap)
    service.consumers.append(_Consumer(service, handle))
    service.routers.append(history_router(source, service.store, sources[300],
                                          lambda: handle.links))

    async def run(stop: asyncio.Event) -> None:
        nonlocal retention_pending
        start = int(since) - int(since) % 3600 - 3600
        try:  # seed the open buckets with what the previous run wrote raw
            await asyncio.to_thread(_seed, handle, start, int(since))
        except TsdbError as exc:
            log.warning("rollups not seeded from raw samples: %s", exc)
        queued = asyncio.Event()
        handle.wake = queued.set
        drainer = asyncio.create_task(_drain_loop(handle, queued, stop), name="history-drain")
        try:
            while not stop.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), cfg.flush_every_s)
                if retention_pending and retention is not None:  # the rollup policies must
                    retention_pending = not await asyncio.to_thread(retention)  # exist first
                closed = await asyncio.to_thread(handle.closed, time.time(), cfg.flush_grace_s)
                await asyncio.to_thread(handle.write, closed)
        finally:
            handle.wake = None
            drainer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await drainer
        await asyncio.to_thread(lambda: handle.write(handle.closed(float("inf"), 0.0)))

    service.background.append(("history", run))
    return handle


Parts = tuple[dict[int, HistoryReader], dict[int, str], str | None, dict[int, Writer],
              Callable[[], bool] | None]


def _influx_parts(service: Service) -> Parts:
    """InfluxDB: readers and ``FROM`` per width, the policy of ``link_status``, the rollup
    writers and the retention step (1.x; retried until it succeeds)."""
    cfg = service.settings.history
    reader = service.reader
    assert reader is not None
    influx = service.influx_settings  # with the managed influxd's account, when it is ours
    version = reader.ping().version
    v1 = (influx.write_api if influx.write_api != "auto" else api_for_version(version)) == "v1"

    def retention() -> bool:
        """Apply the policies (1.x); False while InfluxDB cannot take them (retried)."""
        try:
            apply_retention(reader, influx.database, cfg)
        except TsdbError as exc:
            log.warning("retention policies not applied yet (InfluxDB away?): %s", exc)
            return False
        return True

    locs = locations(influx, cfg, version)
    main = InfluxHistory(reader)
    readers: dict[int, HistoryReader] = {0: main}
    for width, loc in locs.items():
        if loc.database == influx.database:
            readers[width] = main
        else:
            token = influx.token.get_secret_value() if influx.token else None
            pw = influx.password.get_secret_value() if influx.password else None
            other = InfluxQLReader(service.influx_url, loc.database, influx.username, pw,
                                   token=token)
            service.closers.append(other.close)
            readers[width] = InfluxHistory(other)
    writers = rollup_writers(influx, cfg, service.influx_url, version)
    return (readers, {w: loc.source for w, loc in locs.items()},
            cfg.policy_1h if v1 else None, writers, retention if v1 else None)


def _victoria_parts(service: Service) -> Parts:
    """VictoriaMetrics: a reader per width on the server of that resolution (its retention is
    the server's ``-retentionPeriod``), writers to the same servers."""
    vm = service.victoria
    assert vm is not None
    readers: dict[int, HistoryReader] = dict(vm.readers())
    for r in {id(r): r for r in readers.values()}.values():
        service.closers.append(r.close)  # type: ignore[attr-defined]
    sources = {w: quote_ident(m) for w, m in WIDTH_MEASUREMENT.items()}
    return readers, sources, None, {w: vm.writer(w) for w in WIDTH_MEASUREMENT}, None


async def _drain_loop(handle: HistoryHandle, queued: asyncio.Event, stop: asyncio.Event) -> None:
    """Aggregate queued batches in a worker thread as they come (off the event loop)."""
    while not stop.is_set():
        await queued.wait()
        queued.clear()
        await asyncio.to_thread(handle.drain)


def _take(queue: deque[T]) -> list[T]:
    """Everything in ``queue`` now (safe against appends from another thread)."""
    out: list[T] = []
    with contextlib.suppress(IndexError):
        while True:
            out.append(queue.popleft())
    return out


def _seed(handle: HistoryHandle, start: int, end: int) -> None:
    """Feed the raw samples of [start, end) into the live aggregator (written when closed)."""
    n = feed_raw(handle.source.readers[0], handle.aggregator, start, end)
    log.info("rollups seeded from %d raw samples of the last hour(s)", n)

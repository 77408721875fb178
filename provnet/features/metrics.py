"""Self-metrics attached to the service: ``GET /metrics`` (names ``provnet_``, base units).

Poll durations, InfluxDB write latency and API request latency are observed as they happen
(histograms); the rest is read from the service's state at scrape time (a collector), so
nothing else in provnet knows about Prometheus.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from provnet.alerts.notify.model import OutboxDelivery
from provnet.api.metrics import metrics_router
from provnet.pollers.scheduler import CycleStats
from provnet.pollers.types import ERROR_KINDS, IfRates, PollResult
from provnet.tsdb.client import Writer
from provnet.tsdb.errors import TsdbError
from provnet.tsdb.points import Point

if TYPE_CHECKING:
    from provnet.features.history import HistoryHandle
    from provnet.service import Service

POLL_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
FAST_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class TimedWriter:
    """A writer that times every write and counts failures (wraps the service's writer)."""

    def __init__(self, inner: Writer, latency: Histogram, failures: Counter[str]) -> None:
        self.inner, self.latency, self.failures = inner, latency, failures

    def _timed(self, fn: Callable[[], None]) -> None:
        t0 = time.perf_counter()
        try:
            fn()
        except TsdbError as exc:
            self.failures[type(exc).__name__] += 1
            raise
        finally:
            self.latency.observe(time.perf_counter() - t0)

    def write(self, points: Sequence[Point]) -> None:
        """Write, timed."""
        self._timed(lambda: self.inner.write(points))

    def write_lines(self, lines: str) -> None:
        """Write lines, timed."""
        self._timed(lambda: self.inner.write_lines(lines))

    def close(self) -> None:
        """Close the inner writer."""
        self.inner.close()

    def __getattr__(self, name: str) -> object:  # pending_bytes etc. of a SpoolingWriter
        return getattr(self.inner, name)


class _StateCollector(Collector):
    def __init__(self, service: Service, history: HistoryHandle | None,
                 write_failures: Counter[str]) -> None:
        self.service, self.history, self.write_failures = service, history, write_failures

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        svc = self.service
        errors = CounterMetricFamily("provnet_poll_errors", "Failed device polls by kind",
                                     labels=["kind"])
        for kind in ERROR_KINDS:
            errors.add_metric([kind], svc.stats.errors_by_kind.get(kind, 0))
        yield errors
        now = time.time()
        cfg = svc.settings.poller
        stale = cfg.interval_s * cfg.stale_after_intervals
        states: Counter[str] = Counter()
        for d in svc.live.devices().values():
            states["stale" if now - d.time > stale else "ok" if d.ok else "failed"] += 1
        never = max(0, len(svc.plan.targets) - sum(states.values()))
        devices = GaugeMetricFamily("provnet_devices", "Polled devices per state",
                                    labels=["state"])
        for state in ("ok", "failed", "stale"):
            devices.add_metric([state], states.get(state, 0))
        devices.add_metric(["never_polled"], never)
        yield devices
        w = svc.writer
        yield GaugeMetricFamily("provnet_spool_bytes", "Line protocol waiting in the disk spool",
                                value=float(getattr(w, "pending_bytes", 0) or 0))
        age = getattr(w, "oldest_pending_age_s", None)
        yield GaugeMetricFamily("provnet_spool_oldest_age_seconds",
                                "Age of the oldest spooled batch (0 when empty)",
                                value=float(age or 0.0))
        fails = CounterMetricFamily("provnet_influxdb_write_failures",
                                    "Failed InfluxDB writes (spooled or rejected)",
                                    labels=["error"])
        for name in ("TsdbUnavailable", "TsdbRejected", "TsdbError"):
            fails.add_metric([name], self.write_failures.get(name, 0))
        yield fails
        yield CounterMetricFamily("provnet_points_written", "Points handed to the writer",
                                  value=svc.stats.points_written)
        pending = GaugeMetricFamily("provnet_outbox_pending", "Notifications waiting to be sent",
                                    labels=["channel"])
        try:
            with svc.store.session() as s:
                rows = s.execute(select(OutboxDelivery.channel, func.count())
                                 .where(OutboxDelivery.status == "pending")
                                 .group_by(OutboxDelivery.channel)).all()
        except Exception:  # a scrape must not fail on a busy database
            rows = []
        for channel, n in rows:
            pending.add_metric([str(channel)], int(n))
        yield pending
        if self.history is not None:
            lag = self.history.lag_s(now)
            yield GaugeMetricFamily("provnet_rollup_lag_seconds",
                                    "Now minus the end of the newest 5-minute rollup written",
                                    value=float(lag if lag is not None else now - svc.started))
            yield GaugeMetricFamily("provnet_rollup_open_buckets", "Rollup buckets still open",
                                    value=float(self.history.aggregator.pending()))


class _PollObserver:
    def __init__(self, hist: Histogram) -> None:
        self.hist = hist

    def on_result(self, result: PollResult, rates: dict[int, IfRates]) -> None:
        self.hist.observe(result.duration_s)

    def on_cycle(self, stats: CycleStats) -> None:
        return None


def attach(service: Service, history: HistoryHandle | None = None) -> CollectorRegistry:
    """Serve ``GET /metrics`` from a registry of this service's figures."""
    reg = CollectorRegistry(auto_describe=True)
    poll = Histogram("provnet_poll_duration_seconds", "Duration of one device poll",
                     buckets=POLL_BUCKETS, registry=reg)
    write = Histogram("provnet_influxdb_write_duration_seconds",
                      "Duration of one write to InfluxDB (spool included)",
                      buckets=FAST_BUCKETS, registry=reg)
    api = Histogram("provnet_api_request_duration_seconds", "API request duration by route",
                    ["route", "method"], buckets=FAST_BUCKETS, registry=reg)
    failures: Counter[str] = Counter()
    if service.writer is not None:
        service.writer = TimedWriter(service.writer, write, failures)
    service.consumers.append(_PollObserver(poll))
    service.request_observers.append(
        lambda route, method, seconds: api.labels(route, method).observe(seconds))
    reg.register(_StateCollector(service, history, failures))
    service.routers.append(metrics_router(reg))
    return reg

"""The service runner: inventory -> poll plan -> SNMP poller -> (InfluxDB, live state) -> API.

One asyncio loop runs the poll loop, the sample flusher and the API. Every process it
starts (influxd, the simulator) is stopped on exit, Ctrl-C and SIGTERM included.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from pydantic import SecretStr

from provnet.api.app import Router, create_app
from provnet.api.auth import ApiAuth
from provnet.api.context import ApiContext, InfluxStatus
from provnet.api.events import EventHub
from provnet.api.server import bind, bind_unix, serve
from provnet.config.settings import ApiSettings, InfluxSettings, Settings
from provnet.front import FrontProcess
from provnet.inventory import queries
from provnet.inventory.store import Store
from provnet.pollers.engine import ProfilePoller
from provnet.pollers.live import LiveState
from provnet.pollers.plan import PollPlan, build_poll_plan
from provnet.pollers.profiles import Profiles, load_profiles
from provnet.pollers.samples import result_points
from provnet.pollers.scheduler import CycleStats, PollLoop
from provnet.pollers.shard import ShardedPollLoop, WorkerConfig, resolve_workers
from provnet.pollers.types import ERROR_KINDS, IfRates, PollResult, SnmpTarget
from provnet.tsdb.client import InfluxQLReader, Writer, make_writer
from provnet.tsdb.errors import TsdbError
from provnet.tsdb.managed import ManagedInfluxd
from provnet.tsdb.managed_vm import VictoriaStores
from provnet.tsdb.points import Point
from provnet.tsdb.spool import SpoolingWriter

log = logging.getLogger("provnet")
#: longest Unix socket path we bind (AF_UNIX allows 107 bytes)
UDS_MAX = 100
FLUSH_EVERY_S = 1.0
EXTENSION_GRACE_S = 2.0  # a feature's task gets this long to end after a stop, then is cancelled


@dataclass
class Stats:
    """Counters shown by /api/v1/health and the cycle log."""

    cycles: int = 0
    last_cycle: CycleStats | None = None
    points_written: int = 0
    write_errors: int = 0
    first_data_at: float | None = None
    #: failed device polls since start, by ``PollResult.error_kind``
    errors_by_kind: Counter[str] = field(default_factory=Counter)


class ResultConsumer(Protocol):
    """Something fed by the poller besides InfluxDB and the live state (alerts, for one).

    Both calls run on the event loop, synchronously: keep them cheap, queue heavy work.
    """

    def on_result(self, result: PollResult, rates: dict[int, IfRates]) -> None:
        """One device's poll has ended."""
        ...

    def on_cycle(self, stats: CycleStats) -> None:
        """A polling cycle has ended."""
        ...


BackgroundTask = Callable[[asyncio.Event], Coroutine[Any, Any, None]]


class Service:
    """provnet's long-running job. ``duration_s`` stops it by itself (for scripts)."""

    def __init__(self, settings: Settings, store: Store, duration_s: float | None = None,
                 demo: bool = False) -> None:
        self.settings = settings
        self.store = store
        self.duration_s = duration_s
        self.demo = demo  # `provnet demo`: features may start their simulated devices
        self.live = LiveState()
        self.stats = Stats()
        self.stop_event = asyncio.Event()
        self.influxd: ManagedInfluxd | None = None
        self.influx_url: str = ""
        #: the InfluxDB settings in force (the managed influxd's generated account filled in)
        self.influx_settings: InfluxSettings = settings.influx
        self.reader: InfluxQLReader | None = None
        #: the VictoriaMetrics servers (``tsdb.backend: victoriametrics``; then no reader)
        self.victoria: VictoriaStores | None = None
        self.writer: Writer | None = None
        self.plan = PollPlan(targets=[])
        self.profiles: Profiles | None = None
        self._buffer: list[Point] = []
        self.started = time.time()
        # extension points: each feature package attaches here in the composition root
        self.consumers: list[ResultConsumer] = []
        self.background: list[tuple[str, BackgroundTask]] = []
        self.routers: list[Router] = []
        self.closers: list[Callable[[], None]] = []
        #: re-reads the settings file on SIGHUP (set by the CLI; None: SIGHUP does nothing)
        self.settings_loader: Callable[[], Settings] | None = None
        self.api_context: ApiContext | None = None  # set by run(); caches inventory reads
        #: see every batch of points before it is written (history rollups), on the loop
        self.point_taps: list[Callable[[list[Point]], None]] = []
        #: told (route template, method, seconds) of every API request (self-metrics)
        self.request_observers: list[Callable[[str, str, float], None]] = []
        #: who may do what (set by ``features/identity.py``); the API enforces it
        self.api_auth: ApiAuth | None = None
        #: devices polled by remote poller nodes (``features/cluster.py``), not by this process
        self.remote_devices: frozenset[int] = frozenset()
        #: the live-update hub (``features/stream.py``); the API front mirrors it
        self.event_hub: EventHub | None = None
        #: one flush at a time: a caller awaiting ``flush()`` knows its points were handed over
        self._flush_lock = asyncio.Lock()
        #: the running poll loop (set by run()): polls on request compute rates with it
        self.poll_loop: PollLoop | ShardedPollLoop | None = None

    # --- set-up ---------------------------------------------------------------------------
    def start_influx(self) -> None:
        """Use the configured InfluxDB, or start our own under the state dir (or the same
        for VictoriaMetrics with ``tsdb.backend: victoriametrics``)."""
        if self.settings.tsdb.backend == "victoriametrics":
            self._start_victoria()
            return
        cfg = self.settings.influx
        if cfg.url:
            self.influx_url = cfg.url.rstrip("/")
        else:
            self.influxd = ManagedInfluxd(self.settings.state_dir, cfg.influxd_binary, auth=True)
            self.influxd.start()
            self.influx_url = self.influxd.url
            user, password = self.influxd.credentials or (None, None)
            cfg = cfg.model_copy(update={  # our own server: its generated admin account
                "username": user, "password": SecretStr(password) if password else None})
        pw = cfg.password.get_secret_value() if cfg.password else None
        self.reader = InfluxQLReader(self.influx_url, cfg.database, cfg.username, pw)
        status = self.reader.ping()
        if status.ok and (status.version or "").startswith("1."):
            self.reader.create_database(cfg.database)
        self.influx_settings = cfg  # what features that talk to InfluxDB themselves must use
        self.writer = SpoolingWriter(make_writer(cfg, self.influx_url, status.version),
                                     self.settings.state_dir / "spool", cfg.spool_max_bytes,
                                     parallel=cfg.write_parallel)
        log.info("InfluxDB %s at %s%s", status.version or "(not answering yet)", self.influx_url,
                 " (managed by provnet)" if self.influxd else "")

    def _start_victoria(self) -> None:
        """The VictoriaMetrics servers (configured, or three started here), raw samples
        through the same spooling line-protocol writer."""
        vm = VictoriaStores.open(self.settings.tsdb.victoriametrics, self.settings.history,
                                 self.settings.state_dir)
        self.victoria = vm
        self.influx_url = vm.urls[0]
        self.writer = SpoolingWriter(vm.writer(0), self.settings.state_dir / "spool",
                                     self.settings.influx.spool_max_bytes,
                                     parallel=self.settings.influx.write_parallel)
        log.info("VictoriaMetrics at %s (raw), %s (5 min), %s (1 h)%s", vm.urls[0],
                 vm.urls[300], vm.urls[3600], " (managed by provnet)" if vm.managed else "")

    def load_plan(self) -> PollPlan:
        """Load the poll profiles and build the poll plan from the inventory.

        Invalid profiles raise :class:`PollerError` naming the file and key.
        """
        cfg = self.settings.poller
        self.profiles = load_profiles(cfg.profiles_file, cfg.groups_dir)
        with self.store.session() as s:
            self.plan = build_poll_plan(queries.devices(s), queries.links(s),
                                        self.settings.snmp_profiles, self.profiles)
        classes = Counter(self.plan.profile_for(t.device_id).class_name
                          for t in self.plan.targets)
        log.info("poll plan: %d devices (%s), profiles from %s", len(self.plan.targets),
                 ", ".join(f"{n} {c}" for c, n in sorted(classes.items())),
                 self.profiles.source)
        return self.plan

    def local_targets(self) -> list[SnmpTarget]:
        """The plan's targets this process polls (all but the remote nodes' devices)."""
        if not self.remote_devices:
            return self.plan.targets
        return [t for t in self.plan.targets if t.device_id not in self.remote_devices]

    # --- the data path --------------------------------------------------------------------
    def on_result(self, result: PollResult, rates: dict[int, IfRates],
                  skip: object = None) -> None:
        """Per device, as soon as its poll ends: live state first, then queue the samples.

        ``skip``: a consumer not to call (remote nodes' results reach the alerts on event
        time through their own entry, ``features/cluster.py``)."""
        self.live.update(result, rates)
        dev = result.target.device_id
        tags = self.plan.device_tags.get(dev, {"device": result.target.name})
        self._buffer.extend(result_points(result, rates, tags, self.plan.if_tags.get(dev, {})))
        if result.error_kind is not None:
            self.stats.errors_by_kind[result.error_kind] += 1
        for c in self.consumers:
            if c is not skip:
                c.on_result(result, rates)

    def queue_points(self, points: list[Point]) -> None:
        """Queue samples from any collector (SSH, ICMP, ...) for the next flush."""
        self._buffer.extend(points)

    def on_cycle(self, st: CycleStats) -> None:
        """Log one line per cycle."""
        self.stats.cycles += 1
        self.stats.last_cycle = st
        log.info("cycle %d: %d devices (%d ok, %d failed) in %.2f s, CPU %.2f s, %d varbinds",
                 self.stats.cycles, st.devices, st.devices_ok, st.devices_failed, st.duration_s,
                 st.cpu_s, st.varbinds)
        for c in self.consumers:
            c.on_cycle(st)

    async def flush(self) -> None:
        """Hand the queued samples to the (spooling) writer in a worker thread."""
        async with self._flush_lock:
            await self._flush()

    async def _flush(self) -> None:
        points, self._buffer = self._buffer, []
        if not points or self.writer is None:
            return
        for tap in self.point_taps:
            try:
                tap(points)
            except Exception:  # a failing tap must not lose the samples
                log.exception("point tap failed")
        try:
            await asyncio.to_thread(self.writer.write, points)
        except TsdbError as exc:
            self.stats.write_errors += 1
            log.error("writing %d points failed: %s", len(points), exc)
            return
        self.stats.points_written += len(points)
        if self.stats.first_data_at is None:
            self.stats.first_data_at = time.time()
            log.info("first samples written %.1f s after start", time.time() - self.started)

    async def _flush_loop(self) -> None:
        while not self.stop_event.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stop_event.wait(), FLUSH_EVERY_S)
            await self.flush()

    def poller_stats(self) -> dict[str, Any]:
        """Figures for /api/v1/health."""
        st = self.stats.last_cycle
        spool = self.writer
        return {
            "targets": len(self.plan.targets), "cycles": self.stats.cycles,
            "interval_s": self.settings.poller.interval_s,
            "last_cycle_started": st.started if st else None,
            "last_cycle_s": round(st.duration_s, 3) if st else None,
            "last_cycle_cpu_s": round(st.cpu_s, 3) if st else None,
            "devices_ok": st.devices_ok if st else None,
            "devices_failed": st.devices_failed if st else None,
            "points_written": self.stats.points_written,
            "workers": resolve_workers(self.settings.poller.workers),
            **{f"errors_{kind}": self.stats.errors_by_kind.get(kind, 0) for kind in ERROR_KINDS},
            "spooled_points": getattr(spool, "pending_points", 0),
        }

    # --- run ------------------------------------------------------------------------------
    def _install_signals(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, self.stop_event.set)

    async def run(self) -> None:
        """Poll and serve until stopped (signal, ``duration_s``, or ``stop_event``)."""
        self._install_signals()
        cfg = self.settings
        sock = bind(cfg.api.host, cfg.api.port)
        probe: InfluxStatus | None = self.reader
        if self.victoria is not None:  # /api/v1/health pings the raw samples' server
            vm_probe = self.victoria.readers()[0]
            self.closers.append(vm_probe.close)
            probe = vm_probe
        ctx = ApiContext(store=self.store, live=self.live, influx=probe,
                         influx_url=self.influx_url,
                         stale_after_s=cfg.poller.interval_s * cfg.poller.stale_after_intervals,
                         poller_stats=self.poller_stats,
                         targets=lambda: self.plan.targets,
                         degraded_loss_pct=cfg.icmp.degraded_loss_pct,
                         cycles=lambda: self.stats.cycles,
                         request_observers=self.request_observers, auth=self.api_auth)
        self.api_context = ctx
        host, port = sock.getsockname()[:2]
        log.info("API on %s://%s:%d  (OpenAPI: /docs)", "https" if _tls(cfg.api) else "http",
                 host, port)
        pc = cfg.poller
        # through self.plan at each call: the plan is rebuilt when the inventory changes
        poller = ProfilePoller(lambda dev: self.plan.profile_for(dev), method=pc.method,
                               max_get_varbinds=pc.max_get_varbinds)
        loop: PollLoop | ShardedPollLoop
        if resolve_workers(pc.workers) > 1:
            loop = ShardedPollLoop(pc.workers, self.on_result, WorkerConfig(
                pc.interval_s, pc.concurrency, pc.spread, pc.method, pc.max_get_varbinds),
                self.plan.profiles)
            log.info("polling with %d worker processes", loop.workers)
        else:
            loop = PollLoop(poller, self.on_result, pc.concurrency, pc.spread)
        self.poll_loop = loop
        app = create_app(ctx, self.routers, self.settings.api, host)
        front, api_sock = self._front(sock, ctx) if cfg.api.front else (None, sock)
        tasks = [
            asyncio.create_task(serve(app, api_sock, self.stop_event,
                                      None if front else _tls(cfg.api),
                                      behind_front=front is not None), name="api"),
            asyncio.create_task(loop.run_forever(self.local_targets, cfg.poller.interval_s,
                                                 self.on_cycle, self.stop_event), name="poller"),
            asyncio.create_task(self._flush_loop(), name="flusher"),
        ]
        # features' tasks: their end is logged by _extension and never stops the service
        extensions = [asyncio.create_task(self._extension(name, task), name=name)
                      for name, task in self.background]
        if self.duration_s is not None:
            asyncio.get_running_loop().call_later(self.duration_s, self.stop_event.set)
        if front is not None:
            tasks.append(asyncio.create_task(front.run(
                lambda: (ctx.token(), ctx.inventory_token()), self.stop_event), name="front"))
        try:
            done, _ = await asyncio.wait(
                [*tasks, asyncio.create_task(self.stop_event.wait())],
                return_when=asyncio.FIRST_COMPLETED)
            for t in done:
                if t in tasks and t.exception() is not None:
                    raise t.exception()  # type: ignore[misc]
        finally:
            self.stop_event.set()
            await asyncio.gather(*tasks, return_exceptions=True)
            if front is not None:
                front.stop()
            await self._stop_extensions(extensions)
            poller.close()
            await self.flush()

    def _front(self, sock: socket.socket, ctx: ApiContext
               ) -> tuple[FrontProcess, socket.socket]:
        """The API front (``api.front``): it answers on ``sock``, we on a Unix socket."""
        uds = self.settings.state_dir / "api.sock"
        if len(str(uds.resolve())) > UDS_MAX:  # AF_UNIX paths are short: a private dir then
            uds = Path(tempfile.mkdtemp(prefix="provnet-api-")) / "api.sock"
        front = FrontProcess(sock, uds, self.settings, self.event_hub)
        ctx.front_figures = lambda: front.figures
        return front, bind_unix(front.uds)

    async def _stop_extensions(self, extensions: list[asyncio.Task[None]]) -> None:
        """Give features ``EXTENSION_GRACE_S`` to see the stop, then cancel the rest."""
        if not extensions:
            return
        _, pending = await asyncio.wait(extensions, timeout=EXTENSION_GRACE_S)
        for t in pending:
            log.info("%s did not stop within %.0f s: cancelled", t.get_name(), EXTENSION_GRACE_S)
            t.cancel()
        await asyncio.gather(*extensions, return_exceptions=True)

    async def _extension(self, name: str, task: BackgroundTask) -> None:
        """Run one feature's task; its end or failure is logged, never stops monitoring."""
        try:
            await task(self.stop_event)
        except Exception:  # CancelledError is a BaseException: cancellation passes through
            log.exception("%s stopped with an error; polling and the API go on", name)
            return
        if not self.stop_event.is_set():
            log.warning("%s ended before the service; polling and the API go on", name)

    def close(self) -> None:
        """Stop what we started: extensions, writer, reader, influxd."""
        for closer in reversed(self.closers):
            closer()
        if self.writer is not None:
            self.writer.close()
        if self.reader is not None:
            self.reader.close()
        if self.influxd is not None:
            self.influxd.stop()
        if self.victoria is not None:
            self.victoria.stop()


def _tls(api: ApiSettings) -> tuple[str, str] | None:
    """(certificate, key) when the API serves HTTPS."""
    if api.tls_cert is None or api.tls_key is None:
        return None
    return str(api.tls_cert), str(api.tls_key)

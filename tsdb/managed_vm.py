"""Local ``victoria-metrics`` servers owned by provnet (the Debian package's single node),
and where each resolution lives on VictoriaMetrics.

VictoriaMetrics has one retention per server (``-retentionPeriod``) and no retention policies,
so provnet keeps each resolution in its own server when it runs them itself: raw samples
(``history.raw_days``), 5-minute rollups (``rollup_5m_days``) and 1-hour rollups and
``link_status`` (``rollup_1h_days``), each under ``<state_dir>/victoria/<name>/`` with its
port remembered in ``port`` there. Every server runs with ``-dedup.minScrapeInterval=1ms``
(a sample written twice with the same time is kept once) and ``-search.latencyOffset=0s``.
"""

from __future__ import annotations

import contextlib
import logging
import math
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import IO, Self

import httpx

from provnet.config.history import HistorySettings
from provnet.config.tsdb import VictoriaMetricsSettings
from provnet.tsdb.client import Writer
from provnet.tsdb.errors import TsdbError
from provnet.tsdb.managed import _die_with_parent, port_is_free
from provnet.tsdb.ports import free_port
from provnet.tsdb.victoria import VictoriaClient, VictoriaHistory, VictoriaWriter

log = logging.getLogger(__name__)

#: resolution width -> the managed server's name
SERVERS: Mapping[int, str] = {0: "raw", 300: "5m", 3600: "1h"}


def retention_flag(days: float) -> str:
    """``-retentionPeriod`` for a number of days (0: keep forever, i.e. 100 years)."""
    if days <= 0:
        return "100y"
    if float(days).is_integer():
        return f"{int(days)}d"
    return f"{max(1, math.ceil(days * 24))}h"  # never shorter than asked


class ManagedVictoria:
    """One ``victoria-metrics`` on 127.0.0.1 with its data in ``data_dir``, stopped by PID."""

    def __init__(self, data_dir: Path, binary: str = "victoria-metrics",
                 retention: str = "100y", http_port: int | None = None,
                 extra_args: Sequence[str] = ()) -> None:
        self.data_dir = data_dir
        self.binary = binary
        self.retention = retention
        self.extra_args = list(extra_args)
        self._port = http_port
        self.proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        if self._port is None:
            raise TsdbError("victoria-metrics is not started")
        return f"http://127.0.0.1:{self._port}"

    @property
    def pid(self) -> int | None:
        """The server's PID while it runs."""
        return self.proc.pid if self.proc is not None and self.proc.poll() is None else None

    @property
    def running(self) -> bool:
        """True while our server is alive (a dead one is reaped by asking)."""
        return self.proc is not None and self.proc.poll() is None

    @property
    def exit_code(self) -> int | None:
        """Its exit code once it has ended (None while running or not started)."""
        return None if self.proc is None else self.proc.poll()

    @property
    def name(self) -> str:
        """For the log: ``victoria-metrics raw`` etc."""
        return f"victoria-metrics {self.data_dir.name}"

    def restart_same_port(self) -> None:
        """Start again after it died, on the same port (the writers' URLs stay valid)."""
        self.stop()
        self.start()

    def _choose_port(self) -> int:
        if self._port is not None:
            return self._port
        remembered = self.data_dir / "port"
        with contextlib.suppress(OSError, ValueError):
            port = int(remembered.read_text().strip())
            if port_is_free(port):
                return port
        return free_port()

    def start(self, timeout_s: float = 20.0) -> Self:
        """Start and wait until ``/health`` answers; :class:`TsdbError` if it does not."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        port = self._choose_port()
        self._port = port
        (self.data_dir / "port").write_text(str(port))
        self._log = open(self.data_dir / "victoria.log", "ab")  # noqa: SIM115  closed by stop()
        args = [self.binary, f"-httpListenAddr=127.0.0.1:{port}",
                f"-storageDataPath={self.data_dir / 'data'}",
                f"-retentionPeriod={self.retention}", "-dedup.minScrapeInterval=1ms",
                "-search.latencyOffset=0s", "-loggerLevel=WARN", *self.extra_args]
        try:
            self.proc = subprocess.Popen(args, stdout=self._log, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL,
                                         preexec_fn=_die_with_parent())
        except OSError as exc:
            self._log.close()
            raise TsdbError(f"cannot start {self.binary}: {exc}") from exc
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self.stop()
                raise TsdbError(f"{self.binary} exited at start: {self.log_tail()}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}/health", timeout=1.0, trust_env=False).is_success:
                    log.info("victoria-metrics %s (retention %s) at %s, pid %d",
                             self.data_dir.name, self.retention, self.url, self.proc.pid)
                    return self
            time.sleep(0.05)
        self.stop()
        raise TsdbError(f"{self.binary} did not answer within {timeout_s} s")

    def stop(self, timeout_s: float = 10.0) -> None:
        """SIGTERM (it flushes), SIGKILL if it lingers; idempotent."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=timeout_s)
        self.proc = None
        if self._log is not None:
            self._log.close()
            self._log = None

    def log_tail(self, max_bytes: int = 2000) -> str:
        """The end of the server's log."""
        path = self.data_dir / "victoria.log"
        try:
            data = path.read_bytes()
        except OSError:
            return ""
        return data[-max_bytes:].decode("utf-8", "replace")

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


@dataclass
class VictoriaStores:
    """Where each resolution lives (width -> URL) and the servers provnet started."""

    urls: dict[int, str]
    settings: VictoriaMetricsSettings
    managed: list[ManagedVictoria] = field(default_factory=list)

    @classmethod
    def open(cls, vm: VictoriaMetricsSettings, history: HistorySettings,
             state_dir: Path) -> VictoriaStores:
        """The configured servers, or three started under ``state_dir/victoria``."""
        if vm.url:
            raw = vm.url.rstrip("/")
            return cls({0: raw, 300: (vm.url_5m or raw).rstrip("/"),
                        3600: (vm.url_1h or raw).rstrip("/")}, vm)
        days = {0: history.raw_days, 300: history.rollup_5m_days, 3600: history.rollup_1h_days}
        stores = cls({}, vm)
        try:
            for width, name in SERVERS.items():
                srv = ManagedVictoria(state_dir / "victoria" / name, vm.binary,
                                      retention_flag(days[width])).start()
                stores.managed.append(srv)
                stores.urls[width] = srv.url
        except TsdbError:
            stores.stop()
            raise
        return stores

    @classmethod
    def find_or_open(cls, vm: VictoriaMetricsSettings, history: HistorySettings,
                     state_dir: Path) -> VictoriaStores:
        """For commands: the configured servers, else the managed servers of a running
        provnet under ``state_dir`` (their remembered ports answer), else three started."""
        if not vm.url:
            urls: dict[int, str] = {}
            for width, name in SERVERS.items():
                with contextlib.suppress(OSError, ValueError, httpx.HTTPError):
                    port = int((state_dir / "victoria" / name / "port").read_text().strip())
                    url = f"http://127.0.0.1:{port}"
                    if httpx.get(f"{url}/health", timeout=1.0, trust_env=False).is_success:
                        urls[width] = url
            if len(urls) == len(SERVERS):
                return cls(urls, vm)
        return cls.open(vm, history, state_dir)

    def _password(self) -> str | None:
        pw = self.settings.password
        return pw.get_secret_value() if pw else None

    def readers(self) -> dict[int, VictoriaHistory]:
        """A history reader per width (one per distinct server)."""
        by_url: dict[str, VictoriaHistory] = {}
        vm = self.settings
        for url in self.urls.values():
            if url not in by_url:
                by_url[url] = VictoriaHistory(
                    VictoriaClient(url, vm.username, self._password(), vm.timeout_s), vm.database)
        return {w: by_url[u] for w, u in self.urls.items()}

    def writer(self, width: int) -> Writer:
        """The line-protocol writer of one resolution."""
        vm = self.settings
        return VictoriaWriter(self.urls[width], vm.database, vm.username, self._password(),
                              vm.timeout_s, vm.batch_size)

    def stop(self) -> None:
        """Stop the servers provnet started (by PID)."""
        for srv in reversed(self.managed):
            srv.stop()
        self.managed.clear()

    def pids(self) -> list[int]:
        """PIDs of the running managed servers."""
        return [p for p in (s.pid for s in self.managed) if p is not None]


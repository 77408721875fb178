"""Keeping the managed influxd alive, and saying so when the store cannot be written.

``InfluxdSupervisor.check()`` is called every second from a service task (in a worker
thread: a restart blocks until ``/ping`` answers). A dead influxd is reaped (no zombie) and
restarted on the same port (the writers' URL stays valid) after a backoff that doubles from
``initial_s`` to ``max_s`` while restarts keep failing. ``StoreWatch`` turns spool figures into
warnings: the store unwritable longer than a threshold, and the spool filling up before its
oldest points would be dropped.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from provnet.tsdb.errors import TsdbError
from provnet.tsdb.managed import ManagedInfluxd

log = logging.getLogger(__name__)


@dataclass
class Backoff:
    """Delay before the next restart: ``initial_s`` doubling up to ``max_s``; reset on success."""

    initial_s: float = 1.0
    max_s: float = 60.0
    failures: int = 0

    def delay(self) -> float:
        """Delay before the next attempt."""
        return min(self.max_s, self.initial_s * 2 ** self.failures)


class Supervised(Protocol):
    """A managed server (``ManagedInfluxd``, ``tsdb/managed_vm.py`` ``ManagedVictoria``)."""

    @property
    def running(self) -> bool:
        """Alive (asking reaps a dead child)."""
        ...

    @property
    def exit_code(self) -> int | None:
        """Exit code once ended."""
        ...

    def restart_same_port(self) -> None:
        """Start again on the same port; ``TsdbError`` if it does not come back."""
        ...


class InfluxdSupervisor:
    """Restarts a managed influxd (or another :class:`Supervised` server, e.g. a managed
    victoria-metrics, named ``name`` in the log) that died (SIGKILL, crash, OOM)."""

    def __init__(self, influxd: ManagedInfluxd | Supervised, backoff: Backoff | None = None,
                 clock: Callable[[], float] = time.monotonic, name: str = "influxd") -> None:
        self.influxd = influxd
        self.name = name
        self.backoff = backoff or Backoff()
        self.clock = clock
        self.restarts = 0
        self.died_at: float | None = None
        self.next_try: float | None = None
        self.last_exit: int | None = None

    def check(self) -> bool:
        """Reap and restart when due; True while influxd is running."""
        if self.influxd.running:  # polls our child: a dead one is reaped here
            return True
        now = self.clock()
        if self.died_at is None:
            self.last_exit = self.influxd.exit_code
            self.died_at = now
            self.next_try = now + self.backoff.delay()
            log.warning("%s exited with code %s: restarting in %.0f s", self.name, self.last_exit,
                        self.next_try - now)
        if self.next_try is not None and now < self.next_try:
            return False
        try:
            self.influxd.restart_same_port()
        except TsdbError as exc:
            self.backoff.failures += 1
            self.next_try = self.clock() + self.backoff.delay()
            log.error("%s restart failed (next try in %.0f s): %s", self.name,
                      self.backoff.delay(), exc)
            return False
        self.restarts += 1
        log.warning("%s restarted (restart %d, down %.1f s)", self.name, self.restarts,
                    self.clock() - self.died_at)
        self.backoff.failures = 0
        self.died_at = self.next_try = None
        return True


@dataclass
class StoreWatch:
    """Warnings from the spool: unwritable too long, spool nearly full (pure decisions)."""

    unwritable_after_s: float = 300.0
    spool_warn_fraction: float = 0.8
    unwritable: bool = False
    spool_warned: bool = False

    def observe(self, oldest_pending_age_s: float | None, pending_bytes: int,
                max_bytes: int) -> list[str]:
        """New warnings (each said once until the condition clears)."""
        out: list[str] = []
        age = oldest_pending_age_s or 0.0
        if age > self.unwritable_after_s and not self.unwritable:
            self.unwritable = True
            out.append(f"InfluxDB unwritable for {age:.0f} s: samples are spooled to disk")
        elif age == 0.0 and self.unwritable:
            self.unwritable = False
            out.append("InfluxDB writable again: the spool has been replayed")
        full = max_bytes > 0 and pending_bytes >= self.spool_warn_fraction * max_bytes
        if full and not self.spool_warned:
            self.spool_warned = True
            out.append(f"spool at {pending_bytes / max_bytes:.0%} of {max_bytes} bytes: the "
                       "oldest samples will be dropped when it is full")
        elif not full:
            self.spool_warned = False
        return out

"""A Writer that never loses a batch to an InfluxDB outage: it spools to disk and replays.

Layout of ``spool_dir``::

    .lock                          held (flock) by the one SpoolingWriter using the dir
    0000000000000042-5000.lp       pending batch #42 of 5000 lines, oldest number first
    rejected/0000000000000007-12.lp  batches the server refused, '#' reason header on top

Pending files are written to a temporary name, fsync'd and renamed, so a crash leaves
either a whole batch or none; they survive a process restart. Order is kept: while
anything is pending, new batches are appended behind it, never written ahead of it.
Replaying a batch twice (crash between write and unlink) is harmless: every line carries
its timestamp, and InfluxDB overwrites a point with the same series and time.

A large write (several batches, e.g. a backlog caught up after a WAN cut) may send up to
``parallel`` batches at once, so the server can use more than one core; the outcome is then
taken batch by batch in order (written, rejected, or spooled in order once one failed).
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import re
import threading
import time
from collections import deque
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import IO, Final, Self

from provnet.tsdb.client import Writer
from provnet.tsdb.errors import TsdbError, TsdbRejected
from provnet.tsdb.lineprotocol import count_lines, encode_lines, split_lines
from provnet.tsdb.points import Point

log = logging.getLogger(__name__)

#: what a parallel send returns for a batch it did not try (an earlier one failed)
_SKIPPED: Final = object()
_NAME = re.compile(r"^(\d{16})-(\d+)\.lp$")


@dataclass(frozen=True, slots=True)
class _Batch:
    path: Path
    points: int
    size: int


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class _BatchDir:
    """An ordered directory of immutable line-protocol batch files, bounded in bytes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.mkdir(mode=0o700, parents=True, exist_ok=True)  # samples of the network: private
        found: list[tuple[int, _Batch]] = []
        for entry in path.iterdir():
            if entry.name.startswith(".tmp-"):
                entry.unlink(missing_ok=True)  # a crash before rename: never acknowledged
                continue
            match = _NAME.match(entry.name)
            if match and entry.is_file():
                batch = _Batch(entry, int(match.group(2)), entry.stat().st_size)
                found.append((int(match.group(1)), batch))
        found.sort(key=lambda item: item[0])
        self.batches: deque[_Batch] = deque(b for _, b in found)
        self.next_seq = found[-1][0] + 1 if found else 1
        self.bytes = sum(b.size for b in self.batches)
        self.points = sum(b.points for b in self.batches)

    def append(self, text: str, points: int) -> None:
        """Durably add a batch file behind the others."""
        data = text.encode("utf-8")
        final = self.path / f"{self.next_seq:016d}-{points}.lp"
        tmp = self.path / f".tmp-{self.next_seq:016d}"
        self.next_seq += 1
        try:
            with os.fdopen(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600),
                           "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, final)
        except OSError:
            tmp.unlink(missing_ok=True)  # e.g. disk full: leave no half-written batch
            raise
        _fsync_dir(self.path)
        self.batches.append(_Batch(final, points, len(data)))
        self.bytes += len(data)
        self.points += points

    def pop_oldest(self) -> _Batch:
        """Forget and delete the oldest batch."""
        batch = self.batches.popleft()
        batch.path.unlink(missing_ok=True)
        self.bytes -= batch.size
        self.points -= batch.points
        return batch

    def evict(self, max_bytes: int) -> tuple[int, int]:
        """Delete oldest batches until at most ``max_bytes`` remain: (files, points) removed."""
        files = points = 0
        while self.batches and self.bytes > max_bytes:
            points += self.pop_oldest().points
            files += 1
        return files, points


class SpoolingWriter:
    """Writer wrapper: write through when InfluxDB is up, spool to disk when it is not.

    ``write``/``write_lines`` first replay what is pending (oldest first), then write the
    new batch, or append it to the spool if the server is unavailable; they never raise
    for unavailability. Batches the server rejects (``TsdbRejected``) are moved to
    ``rejected/`` with the reason, not retried. The spool keeps at most ``max_bytes``
    (oldest batches dropped first, counted in ``dropped_points``), ``rejected/`` at most
    ``rejected_max_bytes`` (default: ``max_bytes``). After a failure, writes go straight
    to the spool for ``retry_interval_s`` (0: try the server on every write). A write of
    several batches sends up to ``parallel`` of them at once (``inner`` must then be
    thread-safe, as the HTTP writers are).
    Thread-safe; one process per ``spool_dir`` (enforced with a lock file).
    """

    def __init__(
        self,
        inner: Writer,
        spool_dir: Path,
        max_bytes: int,
        *,
        batch_size: int = 5000,
        retry_interval_s: float = 0.0,
        rejected_max_bytes: int | None = None,
        parallel: int = 1,
    ) -> None:
        if batch_size <= 0:
            raise ValueError("batch_size must be positive")
        if parallel <= 0:
            raise ValueError("parallel must be positive")
        self.inner = inner
        self.parallel = parallel
        self._pool = (ThreadPoolExecutor(parallel, thread_name_prefix="tsdb-write")
                      if parallel > 1 else None)
        self.spool_dir = Path(spool_dir)
        self.max_bytes = max_bytes
        self.batch_size = batch_size
        self.retry_interval_s = retry_interval_s
        self.rejected_max_bytes = max_bytes if rejected_max_bytes is None else rejected_max_bytes
        self.spool_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._lock_fh: IO[bytes] | None = self._take_dir_lock()
        self._pending = _BatchDir(self.spool_dir)
        self._rejected = _BatchDir(self.spool_dir / "rejected")
        self._mutex = threading.RLock()
        self._retry_at = 0.0
        self._unavailable_since: float | None = None
        self.dropped_points = 0
        self.rejected_points = 0
        self.written_points = 0
        self.last_error: str | None = None
        if self._pending.points:
            log.info(
                "spool %s holds %d points from a previous run",
                self.spool_dir, self._pending.points,
            )

    # ------------------------------------------------------------------ counters
    @property
    def pending_points(self) -> int:
        """Points waiting in the spool."""
        return self._pending.points

    @property
    def pending_bytes(self) -> int:
        """Bytes of line protocol waiting in the spool."""
        return self._pending.bytes

    @property
    def oldest_pending_age_s(self) -> float | None:
        """Age of the oldest spooled batch (its file's modification time), None when empty."""
        batches = self._pending.batches
        if not batches:
            return None
        try:
            return max(0.0, time.time() - batches[0].path.stat().st_mtime)
        except OSError:
            return None

    @property
    def pending_batches(self) -> int:
        """Batch files waiting in the spool."""
        return len(self._pending.batches)

    # --------------------------------------------------------------------- writes
    def write(self, points: Sequence[Point]) -> None:
        """Encode (stamping missing times now) and write or spool."""
        lines = encode_lines(points)
        if lines:
            self.write_lines(lines)

    def write_lines(self, lines: str) -> None:
        """Replay the spool, then write ``lines`` (or spool them behind what is pending)."""
        chunks = split_lines(lines, self.batch_size)
        if not chunks:
            return
        with self._mutex:
            if self._pending.batches and time.monotonic() >= self._retry_at:
                self._replay_locked()
            if self._pool is not None and len(chunks) > 1 and not self._spooling():
                self._send_parallel(chunks)
            else:
                for chunk in chunks:
                    if self._spooling():
                        self._spool(chunk)
                    else:
                        self._send(chunk)
            self._evict()

    def replay(self) -> int:
        """Send pending batches oldest first until done or unavailable: points written."""
        with self._mutex:
            return self._replay_locked()

    # ------------------------------------------------------------------- internals
    def _spooling(self) -> bool:
        """New batches go behind the pending ones (or straight to disk while waiting)."""
        return bool(self._pending.batches) or time.monotonic() < self._retry_at

    def _send_parallel(self, chunks: list[str]) -> None:
        """Send ``chunks`` up to ``parallel`` at once; then, in order, count each written,
        keep each rejected, and spool (in order) each one that failed or was not tried
        because an earlier one failed."""
        failed = threading.Event()

        def attempt(chunk: str) -> object:
            if failed.is_set():
                return _SKIPPED
            try:
                self.inner.write_lines(chunk)
            except TsdbRejected as exc:
                return exc
            except TsdbError as exc:
                failed.set()
                return exc
            return None

        assert self._pool is not None
        for chunk, outcome in zip(chunks, list(self._pool.map(attempt, chunks)), strict=True):
            points = count_lines(chunk)
            if outcome is None:  # (a later batch may be written before an earlier spooled
                self.written_points += points  # one: every line carries its own time)
            elif isinstance(outcome, TsdbRejected):
                self._reject(chunk, points, outcome)
            else:
                if isinstance(outcome, TsdbError):
                    self._mark_unavailable(outcome)
                self._spool(chunk, points)

    def _send(self, chunk: str) -> None:
        points = count_lines(chunk)
        try:
            self.inner.write_lines(chunk)
        except TsdbRejected as exc:
            self._reject(chunk, points, exc)
        except TsdbError as exc:
            self._mark_unavailable(exc)
            self._spool(chunk, points)
        else:
            self.written_points += points

    def _replay_locked(self) -> int:
        written = 0
        while self._pending.batches:
            group: list[_Batch] = []
            lines = 0
            for batch in self._pending.batches:
                if group and lines + batch.points > self.batch_size:
                    break
                group.append(batch)
                lines += batch.points
            try:
                text = "".join(b.path.read_text(encoding="utf-8") for b in group)
            except OSError as exc:
                raise TsdbError(f"cannot read spool {self.spool_dir}: {exc}") from exc
            try:
                self.inner.write_lines(text)
            except TsdbRejected as exc:
                self._reject(text, lines, exc)
            except TsdbError as exc:
                self._mark_unavailable(exc)
                break
            else:
                written += lines
                self.written_points += lines
            for _ in group:
                self._pending.pop_oldest()
        if not self._pending.batches and self._unavailable_since is not None:
            log.warning(
                "InfluxDB is back after %.0f s: spool %s drained",
                time.monotonic() - self._unavailable_since, self.spool_dir,
            )
            self._unavailable_since = None
            self._retry_at = 0.0
        return written

    def _mark_unavailable(self, exc: TsdbError) -> None:
        self.last_error = str(exc)
        self._retry_at = time.monotonic() + self.retry_interval_s
        if self._unavailable_since is None:
            self._unavailable_since = time.monotonic()
            log.warning("InfluxDB unavailable, spooling to %s: %s", self.spool_dir, exc)

    def _spool(self, chunk: str, points: int | None = None) -> None:
        try:
            self._pending.append(chunk, count_lines(chunk) if points is None else points)
        except OSError as exc:
            raise TsdbError(f"cannot write spool {self.spool_dir}: {exc}") from exc

    def _reject(self, text: str, points: int, exc: TsdbRejected) -> None:
        self.last_error = str(exc)
        self.rejected_points += points
        when = datetime.now(UTC).isoformat(timespec="seconds")
        header = "".join(f"# {row}\n" for row in f"rejected {when}: {exc.reason}".splitlines())
        log.error("InfluxDB rejected %d points (kept in %s/rejected): %s",
                  points, self.spool_dir, exc.reason)
        try:
            self._rejected.append(header + text, points)
        except OSError as err:
            log.error("cannot keep rejected batch in %s: %s", self._rejected.path, err)
            return
        files, evicted = self._rejected.evict(self.rejected_max_bytes)
        if files:
            log.warning("deleted %d old rejected batches (%d points)", files, evicted)

    def _evict(self) -> None:
        files, points = self._pending.evict(self.max_bytes)
        if files:
            self.dropped_points += points
            log.error(
                "spool %s over %d bytes: dropped the %d oldest batches (%d points; "
                "%d dropped in total)",
                self.spool_dir, self.max_bytes, files, points, self.dropped_points,
            )

    def _take_dir_lock(self) -> IO[bytes]:
        fh = (self.spool_dir / ".lock").open("ab")
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            fh.close()
            raise TsdbError(
                f"spool {self.spool_dir} is in use by another writer: give each process "
                "its own spool directory"
            ) from exc
        return fh

    # ------------------------------------------------------------------ lifecycle
    def close(self) -> None:
        """Close the inner writer and release the spool directory. Idempotent."""
        with self._mutex:
            if self._pool is not None:
                self._pool.shutdown(wait=True)
                self._pool = None
            self.inner.close()
            if self._lock_fh is not None:
                with contextlib.suppress(OSError):
                    fcntl.flock(self._lock_fh.fileno(), fcntl.LOCK_UN)
                self._lock_fh.close()
                self._lock_fh = None

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

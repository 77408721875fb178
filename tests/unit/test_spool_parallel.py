"""SpoolingWriter sending the batches of one large write in parallel (``parallel`` > 1): every
batch reaches the server once or is kept (rejected / spooled in order), whatever the mix of
outcomes; several requests are in flight at once."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from provnet.tsdb.client import LineWriter
from provnet.tsdb.errors import TsdbRejected, TsdbUnavailable
from provnet.tsdb.points import Point
from provnet.tsdb.spool import SpoolingWriter


class Server(LineWriter):
    """A thread-safe fake server: ``outcome[first seq of the batch]`` is ``ok`` (default),
    ``reject`` or ``down``; records the most requests in flight at once."""

    def __init__(self, outcome: dict[int, str], delay_s: float = 0.02) -> None:
        super().__init__(batch_size=10_000)
        self.outcome, self.delay_s = outcome, delay_s
        self.received: list[int] = []
        self._lock = threading.Lock()
        self._in_flight = 0
        self.max_in_flight = 0

    def _send(self, chunk: str) -> None:
        first = _seqs(chunk)[0]
        with self._lock:
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)
        try:
            time.sleep(self.delay_s)
            what = self.outcome.get(first, "ok")
            if what == "down":
                raise TsdbUnavailable("connection refused (fake)")
            if what == "reject":
                raise TsdbRejected("HTTP 400", reason="field type conflict (fake)")
            with self._lock:
                self.received.extend(_seqs(chunk))
        finally:
            with self._lock:
                self._in_flight -= 1


def _seqs(text: str) -> list[int]:
    return [int(r.split("seq=")[1].split("i")[0]) for r in text.split("\n") if r]


def _points(n: int) -> list[Point]:
    return [Point("m", {"seq": i}, {"site": "a"}, 1_000 + i) for i in range(n)]


def _spooled(spool: Path) -> list[int]:
    return [s for f in sorted(spool.glob("*.lp")) for s in _seqs(f.read_text())]


# outcomes of the batches (10 lines each) of one write of 60 lines -> what the server got,
# what was spooled (in order), what was rejected
CASES = [
    ({}, list(range(60)), [], 0),
    ({20: "reject"}, [s for s in range(60) if not 20 <= s < 30], [], 10),
    ({0: "down"}, None, None, 0),
    ({30: "down"}, None, None, 0),
    ({10: "reject", 40: "down"}, None, None, 10),
]


@pytest.mark.parametrize(("outcome", "received", "spooled", "rejected"), CASES)
@pytest.mark.parametrize("parallel", [1, 3])
def test_every_batch_written_once_or_kept(tmp_path: Path, outcome: dict[int, str],
                                          received: list[int] | None,
                                          spooled: list[int] | None, rejected: int,
                                          parallel: int) -> None:
    server = Server(outcome)
    w = SpoolingWriter(server, tmp_path / "spool", 10**9, batch_size=10, parallel=parallel)
    try:
        w.write(_points(60))
    finally:
        w.close()
    got, kept = server.received, _spooled(tmp_path / "spool")
    if received is not None:
        assert sorted(got) == received
    if spooled is not None:
        assert kept == spooled
    # nothing lost, nothing written twice: each line either reached the server, or is in
    # the spool (in order), or among the rejected
    assert len(got) == len(set(got))
    assert kept == sorted(kept)
    assert sorted(got + kept) == [s for s in range(60) if s not in _rejected(outcome)]
    assert w.rejected_points == rejected
    assert w.written_points == len(got)
    for first in (f for f, what in outcome.items() if what == "down"):
        assert set(range(first, first + 10)) <= set(kept), "a failed batch is kept"
        if parallel == 1:  # one at a time: everything from the failed batch on is spooled
            assert kept == list(range(first, 60))
    if "down" in outcome.values():
        assert w.last_error is not None and "refused" in w.last_error


def _rejected(outcome: dict[int, str]) -> set[int]:
    return {s for first, what in outcome.items() if what == "reject"
            for s in range(first, first + 10)}


def test_parallel_requests_in_flight_and_later_writes_behind_the_spool(tmp_path: Path) -> None:
    server = Server({}, delay_s=0.1)
    w = SpoolingWriter(server, tmp_path / "spool", 10**9, batch_size=10, parallel=4)
    try:
        w.write(_points(80))
        assert server.max_in_flight >= 2, "the batches of one write went one at a time"
        assert sorted(server.received) == list(range(80))
        server.outcome = {s: "down" for s in range(0, 200, 10)}
        w.write(_points(120)[80:])
        # the server is away: the later write is spooled whole, in order, nothing lost
        assert _spooled(tmp_path / "spool") == list(range(80, 120))
        server.outcome = {}
        w.write(_points(140)[120:])  # back: the spool first, then the new lines
        assert sorted(server.received) == list(range(140))
        assert _spooled(tmp_path / "spool") == []
    finally:
        w.close()


def test_parallel_must_be_positive(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="parallel"):
        SpoolingWriter(Server({}), tmp_path / "spool", 10**9, parallel=0)

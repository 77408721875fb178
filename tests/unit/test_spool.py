"""SpoolingWriter ordering, eviction, rejection and restart logic with an in-memory writer.

(The same behaviour against a real influxd is in tests/integration/test_tsdb_influxd.py.)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from provnet.tsdb.client import LineWriter, Writer
from provnet.tsdb.errors import TsdbError, TsdbRejected, TsdbUnavailable
from provnet.tsdb.lineprotocol import count_lines, encode_lines
from provnet.tsdb.points import Point
from provnet.tsdb.spool import SpoolingWriter


class FakeWriter(LineWriter):
    """Records what reaches it; ``up`` switches availability; ``reject`` refuses lines."""

    def __init__(self) -> None:
        super().__init__(batch_size=10_000)
        self.up = True
        self.reject: Callable[[str], bool] = lambda line: False
        self.received: list[str] = []
        self.calls = 0
        self.closed = False

    def _send(self, chunk: str) -> None:
        self.calls += 1
        if not self.up:
            raise TsdbUnavailable("connection refused (fake)")
        rows = [r for r in chunk.split("\n") if r]
        bad = [r for r in rows if self.reject(r)]
        self.received.extend(r for r in rows if not self.reject(r))
        if bad:
            reason = f"partial write: field type conflict dropped={len(bad)}"
            raise TsdbRejected("HTTP 400", reason=reason)

    def close(self) -> None:
        self.closed = True


def pts(start: int, n: int, measurement: str = "m") -> list[Point]:
    return [
        Point(measurement, {"seq": i}, {"site": "Tri Tôn"}, 1_000 + i)
        for i in range(start, start + n)
    ]


def seqs(lines: Sequence[str]) -> list[int]:
    return [int(r.split("seq=")[1].split("i")[0]) for r in lines]


@pytest.fixture
def fake() -> FakeWriter:
    return FakeWriter()


def test_fake_satisfies_writer_protocol(fake: FakeWriter) -> None:
    assert isinstance(fake, Writer)


def test_write_through_when_up(fake: FakeWriter, tmp_path: Path) -> None:
    with SpoolingWriter(fake, tmp_path, max_bytes=1 << 20) as spool:
        spool.write(pts(0, 3))
        assert seqs(fake.received) == [0, 1, 2]
        assert spool.pending_points == 0 and spool.pending_bytes == 0
        assert spool.written_points == 3
    assert fake.closed


def test_spools_when_down_and_replays_in_order(fake: FakeWriter, tmp_path: Path) -> None:
    spool = SpoolingWriter(fake, tmp_path, max_bytes=1 << 20, batch_size=4)
    spool.write(pts(0, 2))
    fake.up = False
    spool.write(pts(2, 5))  # two files of 4 + 1 lines
    spool.write(pts(7, 3))
    assert spool.pending_points == 8
    assert spool.pending_batches == 3
    assert spool.pending_bytes == sum(p.stat().st_size for p in tmp_path.glob("*.lp"))
    names = sorted(p.name for p in tmp_path.glob("*.lp"))
    assert names == ["0000000000000001-4.lp", "0000000000000002-1.lp", "0000000000000003-3.lp"]
    fake.up = True
    spool.write(pts(10, 2))  # replays everything first, then writes the new batch
    assert seqs(fake.received) == list(range(12))
    assert spool.pending_points == 0
    assert not list(tmp_path.glob("*.lp"))
    spool.close()


def test_replay_merges_small_files_up_to_batch_size(fake: FakeWriter, tmp_path: Path) -> None:
    spool = SpoolingWriter(fake, tmp_path, max_bytes=1 << 20, batch_size=5)
    fake.up = False
    for i in range(6):
        spool.write(pts(2 * i, 2))
    fake.up = True
    fake.calls = 0
    assert spool.replay() == 12
    assert fake.calls == 3  # 2+2 | 2+2 | 2+2 (a third file would exceed 5 lines)
    assert seqs(fake.received) == list(range(12))
    spool.close()


def test_new_writes_queue_behind_pending_when_still_down(fake: FakeWriter, tmp_path: Path) -> None:
    spool = SpoolingWriter(fake, tmp_path, max_bytes=1 << 20)
    fake.up = False
    spool.write(pts(0, 1))
    spool.write(pts(1, 1))
    assert spool.replay() == 0
    assert spool.pending_points == 2
    assert spool.last_error is not None and "refused" in spool.last_error
    spool.close()


def test_eviction_drops_oldest_and_counts(fake: FakeWriter, tmp_path: Path) -> None:
    one = len(encode_lines(pts(0, 10)).encode())
    spool = SpoolingWriter(fake, tmp_path, max_bytes=int(one * 2.5))
    fake.up = False
    for i in range(5):
        spool.write(pts(10 * i, 10))
    assert spool.pending_points == 20
    assert spool.dropped_points == 30
    assert spool.pending_bytes <= spool.max_bytes
    fake.up = True
    spool.replay()
    assert seqs(fake.received) == list(range(30, 50))  # the newest two batches survived
    spool.close()


def test_zero_max_bytes_drops_instead_of_spooling(fake: FakeWriter, tmp_path: Path) -> None:
    spool = SpoolingWriter(fake, tmp_path, max_bytes=0)
    fake.up = False
    spool.write(pts(0, 3))
    assert spool.pending_points == 0
    assert spool.dropped_points == 3
    spool.close()


def test_rejected_batches_kept_with_reason_not_retried(fake: FakeWriter, tmp_path: Path) -> None:
    spool = SpoolingWriter(fake, tmp_path, max_bytes=1 << 20, batch_size=2)
    fake.reject = lambda line: "seq=1i" in line
    spool.write(pts(0, 4))  # batches [0,1] (partly rejected) and [2,3]
    assert seqs(fake.received) == [0, 2, 3]
    assert spool.rejected_points == 2
    assert spool.pending_points == 0
    [kept] = list((tmp_path / "rejected").glob("*.lp"))
    text = kept.read_text(encoding="utf-8")
    assert text.startswith("# rejected ")
    assert "field type conflict" in text.splitlines()[0]
    assert seqs([r for r in text.splitlines() if not r.startswith("#")]) == [0, 1]
    fake.calls = 0
    spool.write(pts(4, 1))
    assert fake.calls == 1  # the rejected batch is not sent again
    spool.close()


def test_rejection_during_replay_moves_batch_and_continues(
    fake: FakeWriter, tmp_path: Path
) -> None:
    spool = SpoolingWriter(fake, tmp_path, max_bytes=1 << 20, batch_size=2)
    fake.up = False
    spool.write(pts(0, 2))
    spool.write(pts(2, 2))
    spool.write(pts(4, 2))
    fake.up = True
    fake.reject = lambda line: "seq=3i" in line
    assert spool.replay() == 4
    assert seqs(fake.received) == [0, 1, 2, 4, 5]
    assert spool.rejected_points == 2
    assert len(list((tmp_path / "rejected").glob("*.lp"))) == 1
    spool.close()


def test_rejected_dir_is_bounded(fake: FakeWriter, tmp_path: Path) -> None:
    spool = SpoolingWriter(fake, tmp_path, max_bytes=1 << 20, rejected_max_bytes=600)
    fake.reject = lambda line: True
    for i in range(20):
        spool.write(pts(10 * i, 10))
    files = list((tmp_path / "rejected").glob("*.lp"))
    assert 0 < sum(f.stat().st_size for f in files) <= 600
    assert spool.rejected_points == 200
    spool.close()


def test_restart_picks_up_old_spool_and_keeps_numbering(fake: FakeWriter, tmp_path: Path) -> None:
    first = SpoolingWriter(fake, tmp_path, max_bytes=1 << 20)
    fake.up = False
    first.write(pts(0, 3))
    first.write(pts(3, 3))
    first.close()
    (tmp_path / ".tmp-0000000000000009").write_text("m seq=99i 1\n")  # crash before rename
    other = FakeWriter()
    other.up = False
    second = SpoolingWriter(other, tmp_path, max_bytes=1 << 20)
    assert second.pending_points == 6
    assert not (tmp_path / ".tmp-0000000000000009").exists()
    second.write(pts(6, 1))
    assert sorted(p.name for p in tmp_path.glob("*.lp"))[-1].startswith("0000000000000003-")
    other.up = True
    assert second.replay() == 7
    assert seqs(other.received) == list(range(7))
    second.close()


def test_one_writer_per_spool_dir(fake: FakeWriter, tmp_path: Path) -> None:
    first = SpoolingWriter(fake, tmp_path, max_bytes=1 << 20)
    with pytest.raises(TsdbError, match="in use"):
        SpoolingWriter(FakeWriter(), tmp_path, max_bytes=1 << 20)
    first.close()
    first.close()  # idempotent
    SpoolingWriter(FakeWriter(), tmp_path, max_bytes=1 << 20).close()


def test_retry_interval_skips_the_server(fake: FakeWriter, tmp_path: Path) -> None:
    spool = SpoolingWriter(fake, tmp_path, max_bytes=1 << 20, retry_interval_s=3600)
    fake.up = False
    spool.write(pts(0, 1))
    calls = fake.calls
    fake.up = True
    spool.write(pts(1, 1))  # within the retry interval: straight to the spool
    assert fake.calls == calls
    assert spool.pending_points == 2
    assert spool.replay() == 2  # an explicit replay ignores the interval
    assert seqs(fake.received) == [0, 1]
    spool.close()


def test_write_lines_and_missing_times_are_stamped_once(fake: FakeWriter, tmp_path: Path) -> None:
    spool = SpoolingWriter(fake, tmp_path, max_bytes=1 << 20)
    fake.up = False
    spool.write([Point("m", {"seq": 0})])
    stamped = (next(tmp_path.glob("*.lp"))).read_text().strip()
    fake.up = True
    spool.write_lines("m seq=1i 5\n")
    assert fake.received == [stamped, "m seq=1i 5"]
    assert count_lines("\n".join(fake.received)) == 2
    spool.close()

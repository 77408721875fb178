"""tsdb against a real InfluxDB 1.6.7 (``influxd`` started by ManagedInfluxd)."""

from __future__ import annotations

import itertools
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from provnet.config.settings import InfluxSettings
from provnet.tsdb.client import InfluxQLReader, V1Writer, V2Writer, make_writer
from provnet.tsdb.errors import TsdbError, TsdbRejected, TsdbUnavailable
from provnet.tsdb.influxql import quote_ident, quote_literal
from provnet.tsdb.lineprotocol import encode_lines, encode_point, sanitize_name
from provnet.tsdb.managed import ManagedInfluxd
from provnet.tsdb.points import Point
from provnet.tsdb.spool import SpoolingWriter
from tests.support.helpers import InfluxdHandle, free_port

pytestmark = pytest.mark.integration

BS = "\\"
T0 = 1_700_000_000_000_000_000
REPO = Path(__file__).resolve().parents[2]


def test_ping_reports_version(influxd: InfluxdHandle) -> None:
    with influxd.reader() as reader:
        status = reader.ping()
    assert status.ok and status.error is None
    assert status.version is not None and status.version.startswith("1.6.7")
    assert influxd.server.version == status.version


# Points whose every name carries Vietnamese text and line-protocol specials.
NAMED_POINTS = [
    Point(
        "Ủy ban nhân dân xã Vĩnh Hanh",
        {"tên": "Ủy ban nhân dân xã Vĩnh Hanh", "độ trễ (ms)": 12.5, "số gói mất": 3, "lên": True},
        {"huyện": "Châu Thành", "tỉnh": "An Giang"},
        T0 + 1,
    ),
    Point(
        'PoP Tri Tôn, "lõi"=1',
        {'ghi chú, "quan trọng"=x': 'Cáp quang "Tri Tôn" \\ Châu Đốc, km 12=ok\\'},
        {"điểm, truy=nhập": "Tri Tôn, Núi Cấm = 1", 'mã "xã"': 'Tịnh Biên "A"'},
        T0 + 2,
    ),
    Point(
        "liên kết",
        {"giá trị": -1.25e-07},
        {"trạm": f"Châu Đốc{BS}", "thư mục": f"C:{BS}Tri Tôn{BS}dữ liệu", "xã": f"Vĩnh Tế{BS}{BS}"},
        T0 + 3,
    ),
    Point(
        f"đo{BS}lường",
        {f"khóa{BS}trường": "dòng 1\ndòng 2\ttab", "nhiệt độ": 31.0},
        {"ghi chú": "hai\ndòng", f"khóa{BS}": f"giá trị {BS}, phẩy"},
        T0 + 4,
    ),
]


def _expected_row(p: Point) -> dict[str, Any]:
    row: dict[str, Any] = {"time": p.time_ns}
    row.update({sanitize_name(k): sanitize_name(v) for k, v in p.tags.items()})
    for k, v in p.fields.items():
        row[sanitize_name(k)] = v.replace("\n", " ") if isinstance(v, str) else v
    return row


def test_vietnamese_and_special_names_round_trip(influx_database: InfluxdHandle) -> None:
    with influx_database.v1_writer() as writer, influx_database.reader() as reader:
        writer.write(NAMED_POINTS)
        measurements = {r["name"] for r in reader.query("SHOW MEASUREMENTS")}
        assert measurements == {sanitize_name(p.measurement) for p in NAMED_POINTS}
        for p in NAMED_POINTS:
            rows = reader.query(f"SELECT * FROM {quote_ident(sanitize_name(p.measurement))}")
            assert rows == [_expected_row(p)]
        # untouched where nothing needed sanitising
        first = reader.query(f"SELECT * FROM {quote_ident(NAMED_POINTS[0].measurement)}")[0]
        assert first["tên"] == "Ủy ban nhân dân xã Vĩnh Hanh" and first["huyện"] == "Châu Thành"
        second = reader.query(f"SELECT * FROM {quote_ident(NAMED_POINTS[1].measurement)}")[0]
        assert second["điểm, truy=nhập"] == "Tri Tôn, Núi Cấm = 1"
        assert second['ghi chú, "quan trọng"=x'] == 'Cáp quang "Tri Tôn" \\ Châu Đốc, km 12=ok\\'
        # the trailing-backslash tag value is stored without it, not mangled into the next tag
        third = reader.query(f"SELECT * FROM {quote_ident('liên kết')}")[0]
        assert third["trạm"] == "Châu Đốc" and third["thư mục"] == f"C:{BS}Tri Tôn{BS}dữ liệu"
        assert third["xã"] == "Vĩnh Tế"
        # select by a Vietnamese tag value, quoted and as a bound parameter
        m = quote_ident(sanitize_name(NAMED_POINTS[1].measurement))
        key = quote_ident("điểm, truy=nhập")
        by_literal = reader.query(
            f"SELECT * FROM {m} WHERE {key} = {quote_literal('Tri Tôn, Núi Cấm = 1')}"
        )
        by_param = reader.query(
            f"SELECT * FROM {m} WHERE {key} = $v", {"v": "Tri Tôn, Núi Cấm = 1"}
        )
        assert by_literal == by_param == [_expected_row(NAMED_POINTS[1])]


def test_every_tricky_name_round_trips(influx_database: InfluxdHandle) -> None:
    """All names of 1-3 awkward characters, in every position: stored == sanitize_name()."""
    atoms = [BS, ",", " ", "=", '"', "'", "x", "Đ", "\n", "\t", "#"]
    names = sorted({
        shape.format("".join(combo))
        for n in (1, 2, 3)
        for combo in itertools.product(atoms, repeat=n)
        for shape in ("a{}b", "{}z", "z{}")
    })
    with influx_database.v1_writer() as writer, influx_database.reader() as reader:
        tag_points = [
            Point("tags", {"i": i, "s": s}, {"t": s, s: "k"}, T0 + i) for i, s in enumerate(names)
        ]
        writer.write(tag_points)
        rows = {row["i"]: row for row in reader.query("SELECT * FROM tags")}
        assert len(rows) == len(names)
        for i, s in enumerate(names):
            clean = sanitize_name(s)
            assert rows[i]["s"] == s.replace("\n", " "), repr(s)
            if clean:
                assert rows[i]["t"] == clean, repr(s)
                assert rows[i][clean] == "k" or clean == "t", repr(s)
        usable = [s for s in names if sanitize_name(s) and not sanitize_name(s).startswith("#")]
        writer.write([Point(s, {"v": 1}, {}, T0) for s in usable])
        writer.write([Point("fields", {s: 1}, {}, T0 + i) for i, s in enumerate(names)])
        stored = {r["name"] for r in reader.query("SHOW MEASUREMENTS")} - {"tags", "fields"}
        assert stored == {sanitize_name(s) for s in usable}
        fields = {r["fieldKey"] for r in reader.query("SHOW FIELD KEYS FROM fields")}
        assert fields == {sanitize_name(s) for s in names} - {""}


def test_field_type_conflict_is_rejected_with_server_reason(
    influx_database: InfluxdHandle,
) -> None:
    with influx_database.v1_writer() as writer, influx_database.reader() as reader:
        writer.write([Point("xung_đột", {"giá trị": 1}, {"xã": "Vĩnh Hanh"}, T0)])
        with pytest.raises(TsdbRejected) as info:
            writer.write(
                [
                    Point("xung_đột", {"giá trị": 1.5}, {"xã": "Vĩnh Hanh"}, T0 + 1),
                    Point("xung_đột", {"giá trị": 2}, {"xã": "Vĩnh Hanh"}, T0 + 2),
                ]
            )
        assert isinstance(info.value, TsdbError)
        assert "partial write" in info.value.reason
        assert "field type conflict" in info.value.reason
        assert "giá trị" in info.value.reason
        rows = reader.query(f"SELECT * FROM {quote_ident('xung_đột')}")
        assert [r["giá trị"] for r in rows] == [1, 2]  # the int of the batch was written


def test_unreachable_server_is_unavailable_and_ping_never_raises() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    with V1Writer(url, "db", timeout_s=2) as writer, pytest.raises(TsdbUnavailable) as info:
        writer.write([Point("m", {"v": 1}, {}, T0)])
    assert isinstance(info.value.__cause__, Exception)
    with InfluxQLReader(url, "db", timeout_s=2) as reader:
        status = reader.ping()
        assert not status.ok and status.version is None and status.error
        with pytest.raises(TsdbUnavailable):
            reader.query("SHOW DATABASES")


def test_query_errors_carry_the_server_message(influx_database: InfluxdHandle) -> None:
    with influx_database.reader() as reader, pytest.raises(TsdbError, match="error parsing"):
        reader.query("SELEC nonsense")
    with (
        InfluxQLReader(influx_database.url, "không_tồn_tại") as reader,
        pytest.raises(TsdbError, match="database not found"),
    ):
        reader.query("SELECT * FROM m")


def test_writing_to_a_missing_database_is_unavailable_not_rejected(influxd: InfluxdHandle) -> None:
    with V1Writer(influxd.url, "chưa_tạo") as writer, pytest.raises(TsdbUnavailable) as info:
        writer.write([Point("m", {"v": 1}, {}, T0)])
    assert "database not found" in str(info.value)


def test_make_writer_follows_the_server_version(influx_database: InfluxdHandle) -> None:
    settings = InfluxSettings(url=influx_database.url, database=influx_database.database)
    with influx_database.reader() as reader:
        version = reader.ping().version
        writer = make_writer(settings, influx_database.url, version)
        assert isinstance(writer, V1Writer)
        writer.write([Point("auto", {"v": 1}, {"xã": "Ô Lâm"}, T0)])
        writer.close()
        assert reader.query("SELECT * FROM auto") == [{"time": T0, "v": 1, "xã": "Ô Lâm"}]
    assert isinstance(make_writer(settings, influx_database.url, "v2.7.4"), V2Writer)
    assert isinstance(make_writer(settings, influx_database.url, "3.0.1"), V2Writer)
    v2 = make_writer(settings.model_copy(update={"write_api": "v2"}), influx_database.url, version)
    assert isinstance(v2, V2Writer)
    # 1.6.7 has no /api/v2/write (1.8 added it): a configuration problem, retried, not data loss
    with pytest.raises(TsdbUnavailable, match="404"):
        v2.write([Point("auto", {"v": 2}, {}, T0 + 1)])
    v2.close()


def _seq_points(start: int, n: int) -> list[Point]:
    return [
        Point("spool_test", {"seq": i, "tên": f"điểm {i}"}, {"xã": "Vĩnh Hanh"}, T0 + i * 1000)
        for i in range(start, start + n)
    ]


class CountingWriter(V1Writer):
    """The real V1Writer, counting the lines it got through (to prove nothing is resent)."""

    sent = 0

    def _send(self, chunk: str) -> None:
        super()._send(chunk)
        self.sent += chunk.count("\n")


def test_spool_survives_an_influxd_outage(tmp_path: Path) -> None:
    state = tmp_path / "state"
    first = ManagedInfluxd(state).start()
    url = first.url
    with InfluxQLReader(url, "") as admin:
        admin.create_database("spooltest")
    inner = CountingWriter(url, "spooltest", timeout_s=5)
    spool = SpoolingWriter(inner, tmp_path / "spool", max_bytes=10 << 20)
    try:
        spool.write(_seq_points(0, 100))
        assert spool.pending_points == 0
        first.stop()
        first.stop()  # idempotent
        spool.write(_seq_points(100, 150))  # influxd is down: spooled, nothing raised
        spool.write(_seq_points(250, 50))
        assert spool.pending_points == 200 and spool.pending_batches == 2
        assert spool.replay() == 0  # still down
        second = ManagedInfluxd(state).start()  # same state dir: same data, same port
        try:
            assert second.url == url
            assert spool.replay() == 200
            assert spool.pending_points == 0
            spool.write(_seq_points(300, 25))
            with InfluxQLReader(url, "spooltest") as reader:
                rows = reader.query("SELECT * FROM spool_test ORDER BY time")
        finally:
            second.stop()
    finally:
        spool.close()
    assert [r["seq"] for r in rows] == list(range(325))  # all there, once, in order
    assert [r["time"] for r in rows] == [T0 + i * 1000 for i in range(325)]
    assert all(r["tên"] == f"điểm {r['seq']}" and r["xã"] == "Vĩnh Hanh" for r in rows)
    assert inner.sent == 325  # no batch was sent twice
    assert spool.dropped_points == 0 and spool.rejected_points == 0


class InFlightWriter(V1Writer):
    """The real V1Writer, counting the lines sent and the most requests in flight at once."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._lock = threading.Lock()
        self.sent = self.in_flight = self.max_in_flight = 0

    def _send(self, chunk: str) -> None:
        with self._lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            super()._send(chunk)
        finally:
            with self._lock:
                self.in_flight -= 1
                self.sent += chunk.count("\n")


def test_parallel_batches_every_point_once(influx_database: InfluxdHandle,
                                           tmp_path: Path) -> None:
    """A large write sent as several requests at once (``influx.write_parallel``): every
    point in InfluxDB once, in order by time, nothing sent twice."""
    inner = InFlightWriter(influx_database.url, influx_database.database, batch_size=500)
    spool = SpoolingWriter(inner, tmp_path / "spool", max_bytes=10 << 20, batch_size=500,
                           parallel=4)
    try:
        spool.write(_seq_points(0, 12_000))
        with influx_database.reader() as reader:
            rows = reader.query("SELECT seq FROM spool_test ORDER BY time")
    finally:
        spool.close()
    assert [r["seq"] for r in rows] == list(range(12_000))
    assert [r["time"] for r in rows] == [T0 + i * 1000 for i in range(12_000)]
    assert inner.sent == 12_000 and spool.written_points == 12_000
    assert spool.pending_points == 0
    assert inner.max_in_flight >= 2, "the 24 batches went one at a time"


_CHILD = """
import os, sys
from provnet.tsdb.client import V1Writer
from provnet.tsdb.points import Point
from provnet.tsdb.spool import SpoolingWriter
url, spool_dir, t0 = sys.argv[1], sys.argv[2], int(sys.argv[3])
spool = SpoolingWriter(V1Writer(url, "spooltest", timeout_s=2), spool_dir, 10 << 20, batch_size=40)
spool.write([Point("restart_test", {"seq": i}, {"xã": "Tân Châu"}, t0 + i) for i in range(100)])
print(spool.pending_points, flush=True)
os._exit(0)  # no close(): the process just ends
"""


def test_spool_is_replayed_by_a_new_writer_process(
    influx_database: InfluxdHandle, tmp_path: Path
) -> None:
    dead_url = f"http://127.0.0.1:{free_port()}"
    child = subprocess.run(
        [sys.executable, "-c", _CHILD, dead_url, str(tmp_path / "spool"), str(T0)],
        cwd=REPO, capture_output=True, text=True, timeout=60, check=False,
    )
    assert child.returncode == 0, child.stderr
    assert child.stdout.strip() == "100"
    assert len(list((tmp_path / "spool").glob("*.lp"))) == 3  # 40 + 40 + 20 lines
    spool = SpoolingWriter(influx_database.v1_writer(), tmp_path / "spool", max_bytes=10 << 20)
    try:
        assert spool.pending_points == 100
        assert spool.replay() == 100
        assert spool.pending_points == 0
    finally:
        spool.close()
    with influx_database.reader() as reader:
        rows = reader.query("SELECT * FROM restart_test ORDER BY time")
    assert [r["seq"] for r in rows] == list(range(100))
    assert {r["xã"] for r in rows} == {"Tân Châu"}


def test_managed_influxd_guards(tmp_path: Path, influxd: InfluxdHandle) -> None:
    with pytest.raises(TsdbError, match="apt-get install influxdb"):
        ManagedInfluxd(tmp_path / "a", binary="influxd-does-not-exist")
    # a second server on the session server's data directory is refused
    with pytest.raises(TsdbError, match="already runs"):
        ManagedInfluxd(influxd.server.state_dir).start()
    # a fixed port that is taken: a clear error with influxd's own words
    with pytest.raises(TsdbError, match="address already in use"):
        ManagedInfluxd(tmp_path / "b", http_port=influxd.server.http_port).start()
    assert influxd.server.running
    with ManagedInfluxd(tmp_path / "c") as server:
        assert server.running and server.start_seconds is not None
        pid = server.pid
        assert pid is not None
    assert not server.running
    assert not (tmp_path / "c" / "influxd.pid").exists()
    with pytest.raises(TsdbError, match="not started"):
        _ = server.url


def test_encoded_lines_are_accepted_as_one_request(influx_database: InfluxdHandle) -> None:
    """5,000-line batches (the default) go through in one request each."""
    points = [
        Point(
            "lô",
            {"bps": float(i), "err": i % 7},
            {"xã": f"xã {i % 155}", "if": f"ge-0/0/{i % 48}"},
            T0 + i,
        )
        for i in range(20_000)
    ]
    lines = encode_lines(points)
    assert encode_point(points[0]) + "\n" == lines.split("\n", 1)[0] + "\n"
    started = time.perf_counter()
    with influx_database.v1_writer(batch_size=5000) as writer:
        writer.write_lines(lines)
    elapsed = time.perf_counter() - started
    with influx_database.reader() as reader:
        assert reader.query(f"SELECT count(bps) FROM {quote_ident('lô')}")[0]["count"] == 20_000
    print(f"20,000 points in {elapsed:.2f} s ({20_000 / elapsed:,.0f} points/s)")

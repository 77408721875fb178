"""Table-driven tests of the pure line-protocol encoder and InfluxQL quoting."""

from __future__ import annotations

import math
import time

import pytest

from provnet.tsdb.influxql import quote_ident, quote_literal
from provnet.tsdb.lineprotocol import (
    count_lines,
    encode_lines,
    encode_point,
    sanitize_name,
    split_lines,
)
from provnet.tsdb.points import Point

BS = "\\"
T = 1_700_000_000_123_456_789

ENCODE_CASES: list[tuple[str, Point, str]] = [
    ("float", Point("m", {"v": 1.5}, {}, T), f"m v=1.5 {T}"),
    ("int gets i", Point("m", {"v": 3}, {}, T), f"m v=3i {T}"),
    ("negative int", Point("m", {"v": -7}, {}, T), f"m v=-7i {T}"),
    ("bools", Point("m", {"a": True, "b": False}, {}, T), f"m a=true,b=false {T}"),
    ("float repr", Point("m", {"a": 1e20, "b": 0.1, "c": -0.0, "d": 3.0}, {}, T),
     f"m a=1e+20,b=0.1,c=-0.0,d=3.0 {T}"),
    ("int64 bounds kept", Point("m", {"lo": -(2**63), "hi": 2**63 - 1}, {}, T),
     f"m lo=-9223372036854775808i,hi=9223372036854775807i {T}"),
    ("int64 overflow dropped", Point("m", {"big": 2**63, "v": 1}, {}, T), f"m v=1i {T}"),
    ("nan and inf dropped", Point("m", {"a": math.nan, "b": math.inf, "c": -math.inf, "d": 2.0},
                                  {}, T), f"m d=2.0 {T}"),
    ("only nan: point dropped", Point("m", {"a": math.nan}, {"t": "x"}, T), ""),
    ("no fields: point dropped", Point("m", {}, {"t": "x"}, T), ""),
    ("string quotes and backslashes",
     Point("m", {"s": f'say "hi" {BS} there{BS}'}, {}, T),
     f'm s="say {BS}"hi{BS}" {BS}{BS} there{BS}{BS}" {T}'),
    ("string keeps tabs, newlines become spaces",
     Point("m", {"s": "a\tb\nc\r\nd"}, {}, T), f'm s="a\tb c  d" {T}'),
    ("empty string field kept", Point("m", {"s": ""}, {}, T), f'm s="" {T}'),
    ("measurement commas and spaces, equals kept",
     Point("link stats,x=y", {"v": 1}, {}, T), f"link{BS} stats{BS},x=y v=1i {T}"),
    ("measurement quotes untouched", Point('a"b', {"v": 1}, {}, T), f'a"b v=1i {T}'),
    ("tag key and value escaping",
     Point("m", {"v": 1}, {"site name": "a,b=c d"}, T),
     f"m,site{BS} name=a{BS},b{BS}=c{BS} d v=1i {T}"),
    ("field key escaping",
     Point("m", {"rx power,dBm=x": 1.0}, {}, T), f"m rx{BS} power{BS},dBm{BS}=x=1.0 {T}"),
    ("tags sorted by key",
     Point("m", {"v": 1}, {"z": "1", "a": "2", "m": "3"}, T), f"m,a=2,m=3,z=1 v=1i {T}"),
    ("field order kept", Point("m", {"z": 1, "a": 2}, {}, T), f"m z=1i,a=2i {T}"),
    ("empty tag value dropped", Point("m", {"v": 1}, {"a": "", "b": "x"}, T), f"m,b=x v=1i {T}"),
    ("empty keys dropped", Point("m", {"": 1, "v": 2}, {"": "x"}, T), f"m v=2i {T}"),
    ("reserved key time dropped",
     Point("m", {"time": 1, "v": 2}, {"time": "x", "t": "y"}, T), f"m,t=y v=2i {T}"),
    ("newlines and tabs in tags become spaces",
     Point("m", {"v": 1}, {"t": "a\nb\tc\rd"}, T), f"m,t=a{BS} b{BS} c{BS} d v=1i {T}"),
    ("trailing backslash in tag value stripped",
     Point("m", {"v": 1}, {"t": f"abc{BS}{BS}"}, T), f"m,t=abc v=1i {T}"),
    ("tag value of backslashes only dropped",
     Point("m", {"v": 1}, {"t": BS * 3, "u": "x"}, T), f"m,u=x v=1i {T}"),
    ("backslash before comma removed",
     Point("m", {"v": 1}, {"t": f"a{BS},b"}, T), f"m,t=a{BS},b v=1i {T}"),
    ("inner backslashes literal",
     Point(f"m{BS}x", {f"f{BS}{BS}k": 1}, {f"k{BS}y": f"{BS}v{BS}w"}, T),
     f"m{BS}x,k{BS}y={BS}v{BS}w f{BS}{BS}k=1i {T}"),
    ("trailing backslash in measurement and keys stripped",
     Point(f"m{BS}", {f"f{BS}": 1}, {f"k{BS}": "v"}, T), f"m,k=v f=1i {T}"),
    ("vietnamese untouched",
     Point("trạng_thái", {"tên": "Ủy ban nhân dân xã Vĩnh Hanh"},
           {"huyện": "Tri Tôn", "tỉnh": "An Giang"}, T),
     f'trạng_thái,huyện=Tri{BS} Tôn,tỉnh=An{BS} Giang tên="Ủy ban nhân dân xã Vĩnh Hanh" {T}'),
    ("vietnamese with specials",
     Point("Châu Đốc, \"PoP\"", {"ghi chú": 'Đường "số 1", P. Vĩnh Mỹ'}, {"xã": "Vĩnh Tế=1"}, T),
     f'Châu{BS} Đốc{BS},{BS} "PoP",xã=Vĩnh{BS} Tế{BS}=1 ghi{BS} chú="Đường {BS}"số 1{BS}", '
     f'P. Vĩnh Mỹ" {T}'),
    ("negative timestamp", Point("m", {"v": 1}, {}, -5), "m v=1i -5"),
]


@pytest.mark.parametrize(("point", "expected"), [c[1:] for c in ENCODE_CASES],
                         ids=[c[0] for c in ENCODE_CASES])
def test_encode_point(point: Point, expected: str) -> None:
    assert encode_point(point) == expected


@pytest.mark.parametrize(
    ("precision", "expected"),
    [("ns", T), ("us", T // 1_000), ("ms", 1_700_000_000_123), ("s", 1_700_000_000)],
)
def test_precision(precision: str, expected: int) -> None:
    assert encode_point(Point("m", {"v": 1}, {}, T), precision) == f"m v=1i {expected}"


SANITIZE_CASES = [
    ("plain", "plain"),
    ("Vĩnh Hanh", "Vĩnh Hanh"),
    (f"a{BS}b", f"a{BS}b"),
    (f"a{BS}{BS}b", f"a{BS}{BS}b"),
    (f"{BS}a", f"{BS}a"),
    (f"a{BS}", "a"),
    (f"a{BS}{BS}{BS}", "a"),
    (f"a{BS},b", "a,b"),
    (f"a{BS}{BS} b", "a b"),
    (f"a{BS}=b", "a=b"),
    (f'a{BS}"b', 'a"b'),
    (f"a{BS}\n", "a "),
    ("a\tb\r\nc", "a b  c"),
    (BS * 4, ""),
]


@pytest.mark.parametrize(("raw", "clean"), SANITIZE_CASES)
def test_sanitize_name(raw: str, clean: str) -> None:
    assert sanitize_name(raw) == clean


@pytest.mark.parametrize("measurement", ["", BS, BS + BS, "#comment", f"#x{BS}"])
def test_unusable_measurement_raises(measurement: str) -> None:
    with pytest.raises(ValueError, match="measurement"):
        encode_point(Point(measurement, {"v": 1}, {}, T))


def test_unknown_precision_raises() -> None:
    with pytest.raises(ValueError, match="precision"):
        encode_point(Point("m", {"v": 1}, {}, T), "h")


def test_unsupported_field_type_raises() -> None:
    with pytest.raises(TypeError, match="list"):
        encode_point(Point("m", {"v": [1]}, {}, T))  # type: ignore[dict-item]


def test_missing_time_is_stamped_now() -> None:
    before = time.time_ns()
    line = encode_point(Point("m", {"v": 1}))
    after = time.time_ns()
    stamp = int(line.rsplit(" ", 1)[1])
    assert before <= stamp <= after


def test_encode_lines_skips_dropped_points_and_stamps_each() -> None:
    points = [
        Point("m", {"v": 1}, {}, 1),
        Point("m", {"v": math.nan}, {}, 2),
        Point("m", {"v": 3}),
        Point("m", {"v": 4}),
    ]
    text = encode_lines(points)
    rows = text.split("\n")
    assert text.endswith("\n") and rows[-1] == ""
    assert rows[0] == "m v=1i 1"
    assert len(rows) == 4
    stamps = [int(r.rsplit(" ", 1)[1]) for r in rows[1:3]]
    assert stamps[0] < stamps[1]  # distinct times: same-series points do not overwrite
    assert encode_lines([]) == ""


def test_encode_lines_skips_unencodable_points_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    points = [
        Point("m", {"v": 1}, {}, 1),
        Point("#bad", {"v": 2}, {}, 2),
        Point("m", {"v": object()}, {}, 3),  # type: ignore[dict-item]
        Point("m", {"v": 4}, {}, 4),
    ]
    assert encode_lines(points) == "m v=1i 1\nm v=4i 4\n"
    assert len([r for r in caplog.records if "cannot be encoded" in r.message]) == 2
    with pytest.raises(ValueError, match="precision"):
        encode_lines(points, "h")


def test_split_and_count_lines() -> None:
    text = "".join(f"m v={i}i {i}\n" for i in range(12))
    chunks = split_lines(text, 5)
    assert [count_lines(c) for c in chunks] == [5, 5, 2]
    assert "".join(chunks) == text
    assert split_lines("", 5) == []
    assert count_lines("a\n\nb") == 2
    with pytest.raises(ValueError):
        split_lines(text, 0)


@pytest.mark.parametrize(
    ("name", "quoted"),
    [
        ("cpu", '"cpu"'),
        ('Đo "PoP"', '"Đo \\"PoP\\""'),
        (f"a{BS}b", f'"a{BS}{BS}b"'),
        ("a\nb", '"a\\nb"'),
    ],
)
def test_quote_ident(name: str, quoted: str) -> None:
    assert quote_ident(name) == quoted


@pytest.mark.parametrize(
    ("value", "quoted"),
    [
        ("Tri Tôn", "'Tri Tôn'"),
        ("O'Neil", "'O\\'Neil'"),
        (f"a{BS}b", f"'a{BS}{BS}b'"),
    ],
)
def test_quote_literal(value: str, quoted: str) -> None:
    assert quote_literal(value) == quoted

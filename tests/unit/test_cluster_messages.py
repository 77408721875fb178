"""The cluster message contract: round trips, ids, subjects, refusals (pure)."""

from __future__ import annotations

import pytest

from provnet.pollers.cluster.messages import (
    Batch,
    DeviceResult,
    Heartbeat,
    MessageError,
    NodePlan,
    PlannedDevice,
    batch_msg_id,
    check_token,
    decode,
    decode_plan,
    encode_batch,
    encode_heartbeat,
    encode_plan,
    group_batch,
    heartbeat_subject,
    poll_subject,
    tick_of,
)
from provnet.pollers.readings import HealthReading, OpticReading
from provnet.pollers.types import IfRates, IfSample, PollResult, SnmpTarget

TARGET = SnmpTarget(7, "Xã Tân Lập — router", "10.1.2.3", community="secret")
OK = PollResult(
    TARGET, started=1_700_000_060.25, duration_s=0.0123, sys_uptime_ticks=4242,
    interfaces={2: IfSample(2, name="ge-0/0/2", oper_status=1, in_octets=2**64 - 1,
                            counter_bits=64),
                1: IfSample(1, name="ge-0/0/1", oper_status=2, alias="Đường lên huyện")},
    varbinds=30, requests=2,
    readings=(OpticReading("1.2", ifindex=1, rx_dbm=-7.5), HealthReading(cpu_pct=12.0)),
)
RATES = {1: IfRates(in_bps=1e6, reset=True), 2: IfRates()}
FAILED = PollResult(SnmpTarget(3, "olt", "10.0.0.9"), started=1_700_000_060.5,
                    duration_s=2.0, error="no response", error_kind="timeout")


def test_batch_round_trip_keeps_every_field() -> None:
    b = group_batch("pop17", 1, 28333334, 1_700_000_060.0, 60.0, 5, 2,
                    [(OK, RATES), (FAILED, {})])
    assert [d.device_id for d in b.results] == [3, 7]  # device order
    back = decode(encode_batch(b))
    assert back == b
    assert isinstance(back, Batch) and back.msg_id == "pop17:1:28333334"
    result, rates = back.results[1].poll_result()
    assert result.ok and result.interfaces == OK.interfaces and rates == RATES
    assert result.readings == OK.readings and result.started == OK.started
    assert result.target.community == ""  # secrets never travel
    failed, _ = back.results[0].poll_result()
    assert not failed.ok and failed.error == "no response" and failed.error_kind == "timeout"


def test_secret_not_in_bytes_and_vietnamese_kept() -> None:
    raw = encode_batch(group_batch("pop1", 0, 1, 60.0, 60.0, 1, 1, [(OK, RATES)]))
    assert b"secret" not in raw
    assert "Đường lên huyện".encode() in raw


def test_heartbeat_round_trip() -> None:
    hb = Heartbeat("pop1", 99, 1234.5, 1.0, 3, 2, 120, 0.25)
    assert decode(encode_heartbeat(hb)) == hb
    assert hb.msg_id == "pop1:hb:99"


def test_plan_round_trip() -> None:
    plan = NodePlan("pop2", 4, 60.0, 2, (PlannedDevice(1, "Bưu điện xã", "10.0.0.1", 1161, 1),))
    assert decode_plan(encode_plan(plan)) == plan


@pytest.mark.parametrize("raw", [
    b"not json", b"[1]", b'{"v": 2, "k": "b"}', b'{"v": 1, "k": "x"}',
    b'{"v": 1, "k": "b", "node": "a"}', b'{"v": 1, "k": "h"}',
])
def test_refused(raw: bytes) -> None:
    with pytest.raises(MessageError):
        decode(raw)


def test_plan_refuses_a_batch() -> None:
    with pytest.raises(MessageError):
        decode_plan(encode_heartbeat(Heartbeat("a", 1, 1.0, 1.0, 1, 1, 1)))


@pytest.mark.parametrize(("t", "iv", "tick"), [(0.0, 60.0, 0), (59.999, 60.0, 0),
                                               (60.0, 60.0, 1), (10.5, 0.5, 21)])
def test_tick_of(t: float, iv: float, tick: int) -> None:
    assert tick_of(t, iv) == tick


def test_subjects_and_ids() -> None:
    assert poll_subject("tq", "pop1", 3) == "prov.tq.pop1.poll.3"
    assert heartbeat_subject("tq", "pop1") == "prov.tq.pop1.hb"
    assert batch_msg_id("pop1", 0, 5) == "pop1:0:5"
    assert check_token("pop-1_a", "node") == "pop-1_a"
    for bad in ("", "a.b", "a b", "*", ">"):
        with pytest.raises(MessageError):
            check_token(bad, "node")


def test_device_result_of_failed_has_status() -> None:
    d = DeviceResult.of(FAILED, {})
    assert d.status == "failed" and d.error_kind == "timeout"


def test_row_fields_are_the_dataclass_order() -> None:
    """Interface and rate rows are decoded positionally: the field lists must be the
    dataclasses' own order."""
    from dataclasses import fields

    from provnet.pollers.cluster.messages import IF_FIELDS, RATE_FIELDS

    assert tuple(f.name for f in fields(IfSample)) == IF_FIELDS
    assert tuple(f.name for f in fields(IfRates)) == RATE_FIELDS


@pytest.mark.parametrize(("key", "row"), [("i", [1, "ge0"]), ("r", {"1": [1.0, 2.0]})])
def test_short_row_refused(key: str, row: object) -> None:
    import json

    o = json.loads(encode_batch(Batch("a", 0, 1, 1.0, 1.0, 1, (DeviceResult.of(OK, RATES),))))
    o["r"][0][key] = [row] if key == "i" else row
    with pytest.raises(MessageError, match="row of 2 fields"):
        decode(json.dumps(o).encode())

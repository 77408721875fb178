"""pollers.samples: poll results and rates -> tsdb points."""

from __future__ import annotations

from provnet.pollers.samples import INT64_MAX, interface_fields, interface_points, poll_point
from provnet.pollers.types import IfRates, IfSample, PollResult, SnmpTarget

TARGET = SnmpTarget(device_id=7, name="pop-tri-ton", address="127.0.0.1", community="s3cret")
DEVICE_TAGS = {"device": "pop-tri-ton", "site": "AG-TT-01", "district": "890", "commune": "30577"}
STARTED = 1_700_000_000.25


def sample(ifindex: int, **kw: int | str | None) -> IfSample:
    base: dict[str, int | str | None] = {
        "name": f"ge-0/0/{ifindex}",
        "oper_status": 1,
        "admin_status": 1,
        "in_octets": 1000,
        "out_octets": 2000,
        "in_errors": 1,
        "out_errors": 2,
        "in_discards": 3,
        "out_discards": 4,
        "high_speed_mbps": 1000,
    }
    base.update(kw)
    return IfSample(ifindex, **base)  # type: ignore[arg-type]


def result(**kw: object) -> PollResult:
    args: dict[str, object] = {
        "target": TARGET,
        "started": STARTED,
        "duration_s": 0.0123,
        "sys_uptime_ticks": 12345,
        "interfaces": {1: sample(1), 2: sample(2)},
        "varbinds": 51,
    }
    args.update(kw)
    return PollResult(**args)  # type: ignore[arg-type]


def test_interface_points_tags_fields_time() -> None:
    rates = {1: IfRates(in_bps=8000.0, out_bps=16000, in_util_pct=0.0008, in_errors_ps=0.0)}
    points = interface_points(result(), rates, DEVICE_TAGS, {1: {"link": "L-89-0042"}})
    assert [p.tags["ifindex"] for p in points] == ["1", "2"]
    p1, p2 = points
    assert p1.measurement == "ifstats"
    assert p1.time_ns == 1_700_000_000_250_000_000
    assert dict(p1.tags) == {**DEVICE_TAGS, "ifindex": "1", "link": "L-89-0042"}
    assert "link" not in p2.tags
    assert p1.fields == {
        "in_octets": 1000,
        "out_octets": 2000,
        "in_errors": 1,
        "out_errors": 2,
        "in_discards": 3,
        "out_discards": 4,
        "oper_status": 1,
        "admin_status": 1,
        "speed_mbps": 1000,
        "in_bps": 8000.0,
        "out_bps": 16000.0,
        "in_util_pct": 0.0008,
        "in_errors_ps": 0.0,
    }
    assert isinstance(p1.fields["out_bps"], float)
    assert all(isinstance(p1.fields[k], int) for k in ("in_octets", "speed_mbps", "oper_status"))
    assert "in_bps" not in p2.fields  # no rates for interface 2
    assert "counter_reset" not in p1.fields


def test_flags_and_missing_values() -> None:
    res = result(interfaces={3: IfSample(3, in_octets=5, oper_status=None)})
    pts = interface_points(res, {3: IfRates(reset=True)}, {}, {})
    assert pts[0].fields == {"in_octets": 5, "counter_reset": True}
    pts = interface_points(res, {3: IfRates(rejected=True, out_bps=1.0)}, {}, {})
    assert pts[0].fields == {"in_octets": 5, "out_bps": 1.0, "rate_rejected": True}


def test_interface_without_values_is_skipped() -> None:
    res = result(interfaces={4: IfSample(4), 5: IfSample(5, high_speed_mbps=0)})
    pts = interface_points(res, {}, DEVICE_TAGS, {})
    assert [p.tags["ifindex"] for p in pts] == ["5"]
    assert pts[0].fields == {"speed_mbps": 0}


def test_counter_beyond_int64_is_dropped() -> None:
    fields = interface_fields(IfSample(1, in_octets=INT64_MAX + 1, out_octets=INT64_MAX), None)
    assert fields == {"out_octets": INT64_MAX}


def test_if_tags_override_and_do_not_leak_between_interfaces() -> None:
    pts = interface_points(result(), {}, {"device": "a"}, {2: {"device": "b", "link": "x"}})
    assert pts[0].tags == {"device": "a", "ifindex": "1"}
    assert pts[1].tags == {"device": "b", "ifindex": "2", "link": "x"}


def test_failed_result_has_no_interface_points() -> None:
    res = result(interfaces={}, error="timeout", varbinds=0)
    assert interface_points(res, {}, DEVICE_TAGS, {}) == []


def test_poll_point_ok() -> None:
    p = poll_point(result(), DEVICE_TAGS)
    assert p.measurement == "snmp_poll"
    assert dict(p.tags) == DEVICE_TAGS
    assert p.time_ns == 1_700_000_000_250_000_000
    assert p.fields == {"duration_ms": 12.3, "ok": True, "varbinds": 51, "interfaces": 2}
    assert "s3cret" not in repr(p)


def test_poll_point_failed_has_error_string() -> None:
    p = poll_point(result(interfaces={}, error="timeout", varbinds=0, duration_s=2.0), {})
    assert p.fields["ok"] is False
    assert p.fields["error"] == "timeout"
    assert p.fields["duration_ms"] == 2000.0


def test_poll_point_error_kind_discovery_and_warnings() -> None:
    r = result(interfaces={}, error="auth: Wrong SNMP PDU digest", varbinds=0)
    r = PollResult(r.target, r.started, r.duration_s, error=r.error, error_kind="auth")
    p = poll_point(r, {})
    assert p.fields["error_kind"] == "auth" and p.fields["ok"] is False
    ok = PollResult(TARGET, STARTED, 0.01, discovered="reboot", warnings=("group x: timeout",))
    p = poll_point(ok, {})
    assert p.fields["discovered"] == "reboot" and p.fields["warnings"] == "group x: timeout"
    assert "error_kind" not in p.fields


def test_result_points_include_readings() -> None:
    from provnet.pollers.readings import HealthReading, OpticReading
    from provnet.pollers.samples import result_points

    r = PollResult(TARGET, STARTED, 0.01, interfaces={1: sample(1)},
                   readings=(HealthReading(cpu_pct=12.0), OpticReading("67108993", 1, "ge1",
                                                                       rx_dbm=-3.5)))
    points = result_points(r, {}, DEVICE_TAGS, {})
    assert sorted(p.measurement for p in points) == ["device_health", "ifstats", "optics",
                                                      "snmp_poll"]

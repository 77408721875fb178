"""pollers.readings.reading_points -> line protocol (Vietnamese names survive encoding)."""

from __future__ import annotations

import pytest

from provnet.pollers.readings import (
    HealthReading,
    IcmpReading,
    OpticReading,
    Reading,
    as_float,
    as_int,
    optic_alarms,
    reading_points,
)
from provnet.tsdb.lineprotocol import encode_lines
from provnet.tsdb.points import Point

T = 1_700_000_000_250_000_000
TAGS = {"device": "ub-30301", "site": "UB-30301", "commune": "30301"}

CASES: list[tuple[str, list[Reading], list[str]]] = [
    (
        "optic with Vietnamese port name, all values",
        [OpticReading("67108873", 6, 'Cổng quang "Mỹ Hòa" 1', rx_dbm=-6.12, tx_dbm=-5.23,
                      rx_low_dbm=-20.0, rx_high_dbm=-3.0, tx_low_dbm=-9.5, tx_high_dbm=-3.0,
                      bias_ma=12.87, temperature_c=38.0)],
        ["optics,commune=30301,device=ub-30301,ifname=Cổng\\ quang\\ \"Mỹ\\ Hòa\"\\ 1,"
         "site=UB-30301 rx_dbm=-6.12,tx_dbm=-5.23,rx_low_dbm=-20.0,rx_high_dbm=-3.0,"
         "tx_low_dbm=-9.5,tx_high_dbm=-3.0,bias_ma=12.87,temperature_c=38.0,"
         f"source=\"snmp\",ifindex=6i,sensor=\"67108873\" {T}"],
    ),
    (
        "optic without ifindex or name, only rx: keyed by the sensor index",
        [OpticReading("1.2", rx_dbm=-40.0)],
        ["optics,commune=30301,device=ub-30301,ifname=sensor1.2,site=UB-30301 rx_dbm=-40.0,"
         f"source=\"snmp\",sensor=\"1.2\" {T}"],
    ),
    (
        "optic without a name: keyed by ifindex; alarm below the low threshold",
        [OpticReading("7", 9, rx_dbm=-30.0, rx_low_dbm=-25.0)],
        ["optics,commune=30301,device=ub-30301,ifname=if9,site=UB-30301 rx_dbm=-30.0,"
         f"rx_low_dbm=-25.0,alarm=\"rx_low\",source=\"snmp\",ifindex=9i,sensor=\"7\" {T}"],
    ),
    ("optic without any value: no point", [OpticReading("9", 3, "GE0/0/9")], []),
    (
        "health: ints stay ints, floats floats",
        [HealthReading(cpu_pct=13, mem_used_pct=63.66, mem_total_bytes=8241532928,
                       uptime_s=86401.23)],
        ["device_health,commune=30301,device=ub-30301,site=UB-30301 cpu_pct=13.0,"
         f"mem_used_pct=63.66,uptime_s=86401.23,mem_total_bytes=8241532928i {T}"],
    ),
    ("empty health: no point", [HealthReading()], []),
    (
        "icmp all lost: no rtt fields",
        [IcmpReading("127.10.3.1", 4, 0, 100.0)],
        ["icmp,commune=30301,device=ub-30301,site=UB-30301 sent=4i,received=0i,"
         f"loss_pct=100.0,address=\"127.10.3.1\" {T}"],
    ),
    (
        "icmp answered",
        [IcmpReading("127.0.0.1", 3, 3, 0.0, 0.021, 0.03, 0.052)],
        ["icmp,commune=30301,device=ub-30301,site=UB-30301 sent=3i,received=3i,loss_pct=0.0,"
         f"address=\"127.0.0.1\",rtt_min_ms=0.021,rtt_avg_ms=0.03,rtt_max_ms=0.052 {T}"],
    ),
]


@pytest.mark.parametrize(("readings", "lines"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_reading_points_line_protocol(readings: list[Reading], lines: list[str]) -> None:
    points = reading_points(readings, TAGS, T)
    assert encode_lines(points).splitlines() == lines


def test_device_tags_are_not_mutated_and_nan_is_dropped() -> None:
    tags = dict(TAGS)
    (point,) = reading_points([OpticReading("1", rx_dbm=float("nan"), tx_dbm=-2.0)], tags, None)
    assert tags == TAGS
    assert point == Point("optics", {"tx_dbm": -2.0, "source": "snmp", "sensor": "1"},
                          {**TAGS, "ifname": "sensor1"}, None)


@pytest.mark.parametrize(
    ("value", "as_i", "as_f"),
    [
        (42, 42, 42.0),
        (-312, -312, -312.0),
        ("-3.52", None, -3.52),
        (" 17 ", 17, 17.0),
        (b"-1429", -1429, -1429.0),
        ("nan", None, None),
        ("GigabitEthernet0/0/1", None, None),
        (None, None, None),
        (True, None, None),
    ],
)
def test_value_helpers(value: object, as_i: int | None, as_f: float | None) -> None:
    assert as_int(value) == as_i  # type: ignore[arg-type]
    assert as_float(value) == as_f  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("reading", "alarms"),
    [
        (OpticReading("1", rx_dbm=-6.1, rx_low_dbm=-14.4, rx_high_dbm=2.5), []),
        (OpticReading("1", rx_dbm=-19.8, rx_low_dbm=-14.4, rx_high_dbm=2.5), ["rx_low"]),
        (OpticReading("1", rx_dbm=3.0, rx_low_dbm=-14.4, rx_high_dbm=2.5), ["rx_high"]),
        (OpticReading("1", rx_dbm=-14.4, rx_low_dbm=-14.4), []),  # on the bound: not beyond
        (OpticReading("1", rx_dbm=-40.0, rx_low_dbm=-14.4, tx_dbm=-9.0, tx_low_dbm=-8.2),
         ["rx_low", "tx_low"]),
        (OpticReading("1", rx_dbm=-30.0), []),  # no thresholds known: no alarm
        (OpticReading("1", rx_low_dbm=-14.4), []),  # no level: no alarm
    ],
)
def test_optic_alarms(reading: OpticReading, alarms: list[str]) -> None:
    assert optic_alarms(reading) == alarms
    points = reading_points([reading], {}, None)
    if points:
        assert points[0].fields.get("alarm") == (",".join(alarms) if alarms else None)

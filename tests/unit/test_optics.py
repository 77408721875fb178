"""pollers.optics: unit conversions and entity mapping (table-driven)."""

from __future__ import annotations

import math

import pytest

from provnet.pollers.optics import (
    NO_LIGHT_DBM,
    EntityMap,
    huawei_power_unit,
    microwatts_to_dbm,
    port_label,
    scaled,
    watts_to_dbm,
)
from provnet.pollers.readings import GroupData


@pytest.mark.parametrize(
    ("raw", "scale", "precision", "expected"),
    [
        (-35, 9, 1, -3.5),  # Cisco dBm, units, 1 decimal
        (5012, 7, 1, 501.2e-6),  # micro-watts with one decimal
        (72, 8, 1, 0.0072),  # milli-amperes with one decimal
        (3300, 8, 0, 3.3),  # milli-volts
        (12, 10, 0, 12000.0),  # kilo
        (5, 14, 0, 5e18),  # exa is code 14 in RFC 3433
        (5, 15, 0, 5e15),  # peta is code 15
        (42, None, None, 42.0),  # unknown scale/precision: units
    ],
)
def test_scaled(raw: int, scale: int | None, precision: int | None, expected: float) -> None:
    assert math.isclose(scaled(raw, scale, precision), expected, rel_tol=1e-12)


@pytest.mark.parametrize(
    ("watts", "dbm"),
    [
        (0.001, 0.0),
        (0.0005012, -3.0),
        (0.00001, -20.0),
        (0.000003162, -25.0),
        (0.0, NO_LIGHT_DBM),
        (-1e-6, NO_LIGHT_DBM),
        (1e-12, NO_LIGHT_DBM),  # -90 dBm is below any receiver: floor
    ],
)
def test_watts_to_dbm(watts: float, dbm: float) -> None:
    assert watts_to_dbm(watts) == pytest.approx(dbm, abs=0.001)


def test_microwatts_to_dbm() -> None:
    assert microwatts_to_dbm(1000) == pytest.approx(0.0)
    assert microwatts_to_dbm(245) == pytest.approx(-6.108, abs=0.001)


@pytest.mark.parametrize(
    ("rx", "tx", "unit"),
    [
        ({(1,): -612}, {(1,): -523}, "centi_dbm"),
        ({(1,): 245}, {(1,): 302}, "uw"),
        ({(1,): -1, (2,): 245}, {(1,): -1, (2,): 302}, "uw"),  # -1 is "n/a", not dBm
        ({(1,): 133}, {(1,): -132}, "centi_dbm"),  # one negative value decides
        ({}, {}, "uw"),
    ],
)
def test_huawei_power_unit(rx: dict, tx: dict, unit: str) -> None:
    assert huawei_power_unit(GroupData(columns={"rx_power": rx, "tx_power": tx})) == unit


@pytest.mark.parametrize(
    ("name", "label"),
    [
        ("Te1/1/1 Receive Power Sensor", "Te1/1/1"),
        ("GigabitEthernet0/0/1 Transmit Power Sensor", "GigabitEthernet0/0/1"),
        ("DOM RX Power Sensor for Ethernet3", "Ethernet3"),
        ("subslot 0/0 transceiver 1 Rx Power Sensor", "subslot 0/0 transceiver 1"),
        ("Rx Power", "Rx Power"),  # nothing left: keep the name
    ],
)
def test_port_label(name: str, label: str) -> None:
    assert port_label(name) == label


IF_NAMES = {1: "Te1/1/1", 2: "Te1/1/10", 3: "Ethernet1", 4: "GigabitEthernet0/0/1"}


@pytest.mark.parametrize(
    ("name", "ifindex"),
    [
        ("Te1/1/1", 1),
        ("te1/1/1", 1),
        ("Te1/1/1 Receive Power Sensor", 1),
        ("Te1/1/10 Receive Power Sensor", 2),  # not Te1/1/1: word boundary
        ("DOM RX Power Sensor for Ethernet1", 3),
        ("DOM RX Power Sensor for Ethernet11", None),
        ("GigabitEthernet0/0/1", 4),
        ("GigabitEthernet0/0/12", None),
        ("subslot 0/0 transceiver 1", None),
    ],
)
def test_ifindex_by_name(name: str, ifindex: int | None) -> None:
    ents = EntityMap(names={}, parents={}, aliases={}, if_names=IF_NAMES)
    assert ents.ifindex_by_name(name) == ifindex


def test_port_of_prefers_alias_of_sensor_or_container() -> None:
    ents = EntityMap(
        names={10: "subslot 0/0 transceiver 1 Rx Power Sensor", 9: "subslot 0/0 transceiver 1",
               20: "Te1/1/1 Rx Power Sensor", 30: "mystery Rx Power Sensor"},
        parents={10: 9, 9: 8, 8: 10},  # a loop in the containment tree must not hang
        aliases={8: 4},
        if_names=IF_NAMES,
    )
    assert ents.port_of(10) == (4, "GigabitEthernet0/0/1")
    assert ents.port_of(20) == (1, "Te1/1/1")
    assert ents.port_of(30) == (None, "mystery")


def test_entity_map_from_columns_reads_alias_oids() -> None:
    data = GroupData(columns={
        "ent_alias": {(5, 0): "1.3.6.1.2.1.2.2.1.1.7", (6, 0): ".1.3.6.1.2.1.2.2.1.1.8",
                      (7, 0): "1.3.6.1.4.1.9.9.1"},
        "ent_contained_in": {(5,): 1, (6,): 0},
        "ent_name": {(5,): "GE0/0/1"},
    })
    ents = EntityMap.from_data(data)
    assert ents.aliases == {5: 7, 6: 8}
    assert ents.parents == {5: 1}
    assert ents.names == {5: "GE0/0/1"}


def test_entity_sensors_report_the_worst_lane_of_a_module() -> None:
    from provnet.pollers.optics import parse_entity_sensors

    lanes = {101: -2.1, 102: -7.4, 103: -3.0, 104: None}  # lane 4 unavailable
    cols: dict[str, dict[tuple[int, ...], object]] = {
        "type": {}, "scale": {}, "precision": {}, "value": {}, "status": {},
        "ent_name": {(100,): "Hu1/0/1"}, "ent_contained_in": {}, "if_name": {(5,): "Hu1/0/1"},
    }
    for n, (idx, dbm) in enumerate(lanes.items(), 1):
        cols["type"][(idx,)] = 14
        cols["scale"][(idx,)] = 9
        cols["precision"][(idx,)] = 1
        cols["value"][(idx,)] = round((dbm or 0) * 10)
        cols["status"][(idx,)] = 1 if dbm is not None else 2
        cols["ent_name"][(idx,)] = f"Hu1/0/1 Receive Power Sensor Lane {n}"
        cols["ent_contained_in"][(idx,)] = 100
    (reading,) = parse_entity_sensors(GroupData(columns=cols))  # type: ignore[arg-type]
    assert (reading.index, reading.ifindex, reading.name) == ("100", 5, "Hu1/0/1")
    assert reading.rx_dbm == -7.4 and reading.tx_dbm is None


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        # live module, thresholds and bias "n/a" (-1): levels kept, unknowns None
        ({"rx_power": -712, "tx_power": -230, "rx_low": -1, "rx_high": -1, "bias": -1,
          "temperature": 40},
         {"rx_dbm": -7.12, "tx_dbm": -2.3, "rx_low_dbm": None, "rx_high_dbm": None,
          "bias_ma": None, "temperature_c": 40.0}),
        # only Tx readable (Rx -1): still a reading
        ({"rx_power": -1, "tx_power": -230, "temperature": 40},
         {"rx_dbm": None, "tx_dbm": -2.3}),
        # nothing readable: no reading
        ({"rx_power": -1, "tx_power": -1, "temperature": 40}, None),
        # empty cage: zeros everywhere
        ({"rx_power": 0, "tx_power": 0, "temperature": 0}, None),
        # numbers sent as text (DisplayString on some releases)
        ({"rx_power": "-712", "tx_power": "-230"}, {"rx_dbm": -7.12, "tx_dbm": -2.3}),
    ],
)
def test_huawei_rows(row: dict[str, object], expected: dict[str, object] | None) -> None:
    from provnet.pollers.optics import parse_huawei

    data = GroupData(columns={k: {(67108873,): v} for k, v in row.items()})  # type: ignore[misc]
    readings = parse_huawei(data)
    if expected is None:
        assert readings == []
        return
    (reading,) = readings
    assert {k: getattr(reading, k) for k in expected} == expected

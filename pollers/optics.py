"""Optical levels (Rx/Tx dBm, thresholds, bias, temperature) from SNMP tables (pure parsers).

Sources and units (raw value -> what we store):

* ENTITY-SENSOR-MIB ``entPhySensorTable`` (RFC 3433, 1.3.6.1.2.1.99.1.1.1): one row per
  sensor; ``watts(6)`` values are ``value * 10^scale / 10^precision`` W, turned into dBm; a
  sensor of type ``other(1)`` whose ``entPhySensorUnitsDisplay`` says "dBm" is taken as dBm.
* CISCO-ENTITY-SENSOR-MIB ``entSensorValueTable`` (1.3.6.1.4.1.9.9.91.1.1.1): as above plus
  type ``dBm(14)``; thresholds from ``entSensorThresholdTable`` (same scale/precision as the
  sensor; the most severe "less than" / "greater than" threshold is the low / high alarm).
* HUAWEI-ENTITY-EXTENT-MIB ``hwOpticalModuleInfoTable`` (1.3.6.1.4.1.2011.5.25.31.1.1.3.1),
  indexed by entPhysicalIndex: Rx/Tx power (.8/.9) are uW per the MIB but 0.01 dBm on most
  current VRP releases (see :func:`huawei_power_unit`); thresholds (.13-.16) are 0.01 dBm;
  bias (.7) uA; temperature (.5) degC; -1 means "not available". Newer releases add
  per-lane text columns (.32/.33, "-1.21,-1.51,...") that are preferred when present.
* ZTE-AN-OPTICAL-MODULE-MIB ``zxAnOpticalModuleInfoTable`` (1.3.6.1.4.1.3902.1082.30.40.2.4.1,
  ZTE access/OLT platforms), indexed by ifIndex: Rx/Tx (.2/.3) 0.001 dBm, bias (.5) 0.001 mA,
  temperature (.8) 0.001 degC; no thresholds in this table.

Sensors are tied to interfaces by ENTITY-MIB ``entAliasMappingIdentifier`` (the sensor, or
the entity it is contained in) or else by ``entPhysicalName`` matching ``ifName``.
Power below the detector floor (0 W, ZTE's -80000) is reported as :data:`NO_LIGHT_DBM`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass

from provnet.pollers.ifmib import Value
from provnet.pollers.readings import (
    GroupData,
    OpticReading,
    Reading,
    RowIndex,
    as_float,
    as_int,
    as_text,
    index_text,
)

#: What "no light" (zero power / below the receiver's floor) is reported as.
NO_LIGHT_DBM = -40.0

# EntitySensorDataScale / SensorDataScale -> power of ten. RFC 3433 lists exa(14) before
# peta(15); the code points are kept as defined there.
_SCALE_EXP: dict[int, int] = {
    1: -24, 2: -21, 3: -18, 4: -15, 5: -12, 6: -9, 7: -6, 8: -3, 9: 0,
    10: 3, 11: 6, 12: 9, 13: 12, 14: 18, 15: 15, 16: 21, 17: 24,
}
SENSOR_OTHER = 1
SENSOR_AMPERES = 5
SENSOR_WATTS = 6
SENSOR_CELSIUS = 8
SENSOR_DBM = 14  # CISCO-ENTITY-SENSOR-MIB only
SENSOR_OK = 1

_RELATION_LOW = frozenset({1, 2})  # lessThan, lessOrEqual
_RELATION_HIGH = frozenset({3, 4})  # greaterThan, greaterOrEqual

_IFINDEX_OID = re.compile(r"^\.?1\.3\.6\.1\.2\.1\.2\.2\.1\.1\.(\d+)$")
_SENSOR_WORDS = re.compile(
    r"\b(rx|tx|receive|transmit|receiver|transmitter|optical|input|output|power|laser|bias|"
    r"current|temperature|temp|voltage|supply|module|sensor|lane\s*\d*|dom)\b",
    re.IGNORECASE,
)


# --- units ------------------------------------------------------------------------------------
def scaled(raw: int, scale: int | None, precision: int | None) -> float:
    """``raw * 10^scale / 10^precision`` for entity-sensor values (unknown scale = units)."""
    exp = _SCALE_EXP.get(scale or 9, 0) - (precision or 0)
    return raw * 10.0**exp


def watts_to_dbm(watts: float) -> float:
    """Optical power in W -> dBm; zero or negative power is :data:`NO_LIGHT_DBM`."""
    if watts <= 0:
        return NO_LIGHT_DBM
    return max(NO_LIGHT_DBM, 10.0 * math.log10(watts * 1000.0))


def microwatts_to_dbm(uw: float) -> float:
    """Optical power in uW -> dBm."""
    return watts_to_dbm(uw / 1_000_000.0)


def _round(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)


# --- entity mapping (ENTITY-MIB + IF-MIB) -------------------------------------------------------
@dataclass(frozen=True, slots=True)
class EntityMap:
    """What ENTITY-MIB/IF-MIB say about physical entities and interfaces (pure lookups)."""

    names: Mapping[int, str]
    parents: Mapping[int, int]
    aliases: Mapping[int, int]  # entPhysicalIndex -> ifIndex
    if_names: Mapping[int, str]

    @classmethod
    def from_data(cls, data: GroupData) -> EntityMap:
        """Build from the optional columns ``ent_name``, ``ent_contained_in``, ``ent_alias``
        (entAliasMappingIdentifier, index entPhysicalIndex.logicalIndex), ``if_name``."""
        names = {i[0]: t for i, v in data.column("ent_name").items() if (t := as_text(v))}
        parents = {
            i[0]: p for i, v in data.column("ent_contained_in").items() if (p := as_int(v))
        }
        aliases: dict[int, int] = {}
        for idx, value in sorted(data.column("ent_alias").items()):
            match = _IFINDEX_OID.match(as_text(value) or "")
            if match and idx[0] not in aliases:
                aliases[idx[0]] = int(match.group(1))
        if_names = {i[0]: t for i, v in data.column("if_name").items() if (t := as_text(v))}
        return cls(names, parents, aliases, if_names)

    def chain(self, entity: int) -> list[int]:
        """``entity`` and its containers, innermost first (loops and depth are bounded)."""
        out = [entity]
        while len(out) < 8 and (parent := self.parents.get(out[-1])) and parent not in out:
            out.append(parent)
        return out

    def ifindex_by_name(self, name: str) -> int | None:
        """ifIndex whose ifName equals ``name``, or is the longest word-prefix of it."""
        folded = name.strip().casefold()
        best: tuple[int, int] | None = None
        for ifindex, if_name in self.if_names.items():
            cand = if_name.strip().casefold()
            if not cand:
                continue
            if cand == folded:
                return ifindex
            # "Te1/1/1 Receive Power Sensor" (Cisco), "DOM Rx Power Sensor for Ethernet1" (Arista)
            prefix = folded.startswith(cand + " ") or folded.endswith(" " + cand)
            if prefix and (best is None or len(cand) > best[0]):
                best = (len(cand), ifindex)
        return best[1] if best else None

    def port_of(self, entity: int) -> tuple[int | None, str | None]:
        """``(ifIndex, port name)`` for a sensor or module entity, when it can be told."""
        chain = self.chain(entity)
        for ent in chain:
            if ent in self.aliases:
                alias = self.aliases[ent]
                return alias, self.if_names.get(alias) or self.names.get(ent)
        for ent in chain:
            name = self.names.get(ent)
            if name and (by_name := self.ifindex_by_name(name)) is not None:
                return by_name, self.if_names.get(by_name, name)
        name = self.names.get(entity)
        return None, port_label(name) if name else None


def port_label(sensor_name: str) -> str:
    """A sensor name without sensor words: ``"Te1/1/1 Receive Power Sensor"`` -> ``"Te1/1/1"``."""
    words = _SENSOR_WORDS.sub(" ", sensor_name).split()
    if len(words) > 1 and words[0].casefold() == "for":
        words = words[1:]
    return " ".join(words) or sensor_name


# --- entity sensors (standard and Cisco) --------------------------------------------------------
@dataclass(frozen=True, slots=True)
class _Sensor:
    index: int
    kind: str  # rx | tx | bias | temp
    value: float | None
    low: float | None
    high: float | None


def _sensor_kind(sensor_type: int | None, name: str, units: str) -> str | None:
    text = name.casefold()
    is_power = sensor_type in (SENSOR_WATTS, SENSOR_DBM) or (
        sensor_type == SENSOR_OTHER and "dbm" in units.casefold()
    )
    if is_power:
        if re.search(r"\b(rx|receive|receiver|input)\b", text):
            return "rx"
        if re.search(r"\b(tx|transmit|transmitter|output)\b", text):
            return "tx"
        return None
    # any current/temperature sensor counts: only those sharing a module with an Rx/Tx power
    # sensor end up in a reading (chassis sensors have no power sensor next to them)
    if sensor_type == SENSOR_AMPERES:
        return "bias"
    if sensor_type == SENSOR_CELSIUS:
        return "temp"
    return None


def _convert(kind: str, sensor_type: int | None, raw: int, scale: int | None,
             precision: int | None) -> float:
    value = scaled(raw, scale, precision)
    if kind in ("rx", "tx"):
        return watts_to_dbm(value) if sensor_type == SENSOR_WATTS else value
    if kind == "bias":
        return value * 1000.0  # A -> mA
    return value


def _thresholds(data: GroupData) -> dict[int, list[tuple[int, int, int]]]:
    """entPhysicalIndex -> [(severity, relation, raw value)] from entSensorThresholdTable."""
    severity, relation = data.column("thr_severity"), data.column("thr_relation")
    out: dict[int, list[tuple[int, int, int]]] = {}
    for idx, value in data.column("thr_value").items():
        raw, rel = as_int(value), as_int(relation.get(idx))
        if raw is None or rel is None or len(idx) != 2:
            continue
        out.setdefault(idx[0], []).append((as_int(severity.get(idx)) or 0, rel, raw))
    return out


def _pick(thresholds: list[tuple[int, int, int]], relations: frozenset[int]) -> int | None:
    """Raw value of the most severe threshold with one of ``relations`` (alarm, not warning)."""
    chosen = [(sev, raw) for sev, rel, raw in thresholds if rel in relations]
    if not chosen:
        return None
    top = max(sev for sev, _ in chosen)
    values = [raw for sev, raw in chosen if sev == top]
    return min(values) if relations is _RELATION_LOW else max(values)


def _entity_sensors(data: GroupData, ents: EntityMap) -> list[_Sensor]:
    thresholds = _thresholds(data)
    sensors: list[_Sensor] = []
    for idx, type_value in data.column("type").items():
        if len(idx) != 1:
            continue
        index, sensor_type = idx[0], as_int(type_value)
        name = ents.names.get(index) or ""
        kind = _sensor_kind(sensor_type, name, as_text(data.column("units").get(idx)) or "")
        if kind is None or sensor_type is None:
            continue
        scale = as_int(data.column("scale").get(idx))
        precision = as_int(data.column("precision").get(idx))
        raw = as_int(data.column("value").get(idx))
        status = as_int(data.column("status").get(idx))
        value = None
        if raw is not None and status in (None, SENSOR_OK):
            value = _convert(kind, sensor_type, raw, scale, precision)
        limits = thresholds.get(index, [])
        low_raw, high_raw = _pick(limits, _RELATION_LOW), _pick(limits, _RELATION_HIGH)
        low = None if low_raw is None else _convert(kind, sensor_type, low_raw, scale, precision)
        high = None if high_raw is None else _convert(kind, sensor_type, high_raw, scale,
                                                      precision)
        sensors.append(_Sensor(index, kind, value, low, high))
    return sensors


def _module_key(sensor: _Sensor, ents: EntityMap) -> tuple[int, ...] | str:
    parent = ents.parents.get(sensor.index)
    if parent:
        return (parent,)
    return port_label(ents.names.get(sensor.index, str(sensor.index))).casefold()


def _worse(a: _Sensor, b: _Sensor) -> bool:
    if a.value is None:
        return False
    return b.value is None or a.value < b.value


def parse_entity_sensors(data: GroupData) -> list[Reading]:
    """Optic readings from ENTITY-SENSOR-MIB or CISCO-ENTITY-SENSOR-MIB sensor columns.

    Columns: ``type``, ``scale``, ``precision``, ``value``, ``status``, optional ``units``
    (entPhySensorUnitsDisplay), optional ``thr_severity``/``thr_relation``/``thr_value``
    (Cisco thresholds), and the :class:`EntityMap` columns. One reading per transceiver
    (sensors grouped by the entity they are contained in) that has an Rx or Tx sensor.
    """
    ents = EntityMap.from_data(data)
    modules: dict[tuple[int, ...] | str, dict[str, _Sensor]] = {}
    for sensor in _entity_sensors(data, ents):
        kinds = modules.setdefault(_module_key(sensor, ents), {})
        kept = kinds.get(sensor.kind)
        # several lanes (QSFP): report the worst one, as for Huawei lane columns
        if kept is None or (sensor.kind in ("rx", "tx") and _worse(sensor, kept)):
            kinds[sensor.kind] = sensor
    readings: list[Reading] = []
    for key, kinds in modules.items():
        power = kinds.get("rx") or kinds.get("tx")
        if power is None:
            continue
        entity = key[0] if isinstance(key, tuple) else power.index
        ifindex, name = ents.port_of(power.index)
        rx, tx = kinds.get("rx"), kinds.get("tx")
        bias, temp = kinds.get("bias"), kinds.get("temp")
        readings.append(OpticReading(
            index=str(entity), ifindex=ifindex, name=name,
            rx_dbm=_round(rx.value if rx else None),
            tx_dbm=_round(tx.value if tx else None),
            rx_low_dbm=_round(rx.low if rx else None),
            rx_high_dbm=_round(rx.high if rx else None),
            tx_low_dbm=_round(tx.low if tx else None),
            tx_high_dbm=_round(tx.high if tx else None),
            bias_ma=_round(bias.value if bias else None),
            temperature_c=_round(temp.value if temp else None),
        ))
    return sorted(readings, key=_sort_key)


def _sort_key(reading: Reading) -> tuple[int, str]:
    assert isinstance(reading, OpticReading)
    return (reading.ifindex if reading.ifindex is not None else 1 << 62, reading.index)


# --- Huawei -------------------------------------------------------------------------------------
_HUAWEI_NA = -1


def huawei_power_unit(data: GroupData) -> str:
    """``"centi_dbm"`` when any Rx/Tx power on the device is negative (not the -1 marker),
    else ``"uw"`` (what the MIB text says; older VRP releases really send uW)."""
    for column in ("rx_power", "tx_power"):
        for value in data.column(column).values():
            raw = as_int(value)
            if raw is not None and raw < 0 and raw != _HUAWEI_NA:
                return "centi_dbm"
    return "uw"


def _huawei_power(raw: int | None, unit: str) -> float | None:
    if raw is None or raw == _HUAWEI_NA:
        return None
    return raw / 100.0 if unit == "centi_dbm" else microwatts_to_dbm(raw)


def _lanes(text: str | None, single_raw: int | None, unit: str) -> float | None:
    """Worst lane (lowest dBm) of a Huawei lane column like ``"-1.21,-1.51"``."""
    if not text:
        return None
    try:
        lanes = [float(part) for part in text.split(",") if part.strip()]
    except ValueError:
        return None
    if not lanes:
        return None
    factor = 1.0
    if any(abs(v) > 40 for v in lanes):
        factor = 0.01  # some releases send the lanes in 0.01 dBm too
    elif single_raw not in (None, _HUAWEI_NA) and unit == "centi_dbm":
        assert single_raw is not None
        if abs(single_raw / 100.0 - lanes[0] / 100.0) < abs(single_raw / 100.0 - lanes[0]):
            factor = 0.01
    return min(lanes) * factor


def _huawei_threshold(value: Value) -> float | None:
    raw = as_int(value)
    return None if raw is None or raw == _HUAWEI_NA else raw / 100.0


def _huawei_row(data: GroupData, idx: RowIndex, unit: str, ents: EntityMap) -> OpticReading | None:
    def col(name: str) -> Value:
        return data.column(name).get(idx)

    rx_raw, tx_raw = as_int(col("rx_power")), as_int(col("tx_power"))
    rx = _lanes(as_text(col("rx_lanes")), rx_raw, unit)
    tx = _lanes(as_text(col("tx_lanes")), tx_raw, unit)
    rx = rx if rx is not None else _huawei_power(rx_raw, unit)
    tx = tx if tx is not None else _huawei_power(tx_raw, unit)
    temp = as_float(col("temperature"))
    if rx is None and tx is None:
        return None
    if temp is not None and temp <= 0 and not rx_raw and not tx_raw:
        return None  # empty cage: Huawei reports zeros
    bias = as_int(col("bias"))
    ifindex, name = ents.port_of(idx[0])
    return OpticReading(
        index=index_text(idx), ifindex=ifindex, name=name,
        rx_dbm=_round(rx), tx_dbm=_round(tx),
        rx_low_dbm=_huawei_threshold(col("rx_low")),
        rx_high_dbm=_huawei_threshold(col("rx_high")),
        tx_low_dbm=_huawei_threshold(col("tx_low")),
        tx_high_dbm=_huawei_threshold(col("tx_high")),
        bias_ma=None if bias is None or bias == _HUAWEI_NA else _round(bias / 1000.0),
        temperature_c=temp,
    )


def parse_huawei(data: GroupData) -> list[Reading]:
    """Optic readings from Huawei ``hwOpticalModuleInfoTable`` (see the module docstring)."""
    ents = EntityMap.from_data(data)
    unit = huawei_power_unit(data)
    rows = set(data.column("rx_power")) | set(data.column("tx_power"))
    rows |= set(data.column("rx_lanes")) | set(data.column("tx_lanes"))
    readings: list[Reading] = []
    for idx in sorted(rows):
        if len(idx) == 1 and (reading := _huawei_row(data, idx, unit, ents)) is not None:
            readings.append(reading)
    return sorted(readings, key=_sort_key)


# --- ZTE ----------------------------------------------------------------------------------------
_ZTE_NA = 2147483647
_ZTE_NO_SIGNAL = -80000


def _zte_dbm(raw: int | None) -> float | None:
    if raw is None or raw == _ZTE_NA:
        return None
    if raw <= _ZTE_NO_SIGNAL:
        return NO_LIGHT_DBM
    return max(NO_LIGHT_DBM, raw / 1000.0)


def _milli(raw: int | None) -> float | None:
    return None if raw is None or raw == _ZTE_NA else _round(raw / 1000.0)


def parse_zte(data: GroupData) -> list[Reading]:
    """Optic readings from ZTE ``zxAnOpticalModuleInfoTable`` (indexed by ifIndex)."""
    if_names = {i[0]: t for i, v in data.column("if_name").items() if (t := as_text(v))}
    readings: list[Reading] = []
    rows = set(data.column("rx_power")) | set(data.column("tx_power"))
    for idx in sorted(rows):
        if len(idx) != 1:
            continue
        rx = _zte_dbm(as_int(data.column("rx_power").get(idx)))
        tx = _zte_dbm(as_int(data.column("tx_power").get(idx)))
        if rx is None and tx is None:
            continue
        readings.append(OpticReading(
            index=index_text(idx), ifindex=idx[0], name=if_names.get(idx[0]),
            rx_dbm=_round(rx), tx_dbm=_round(tx),
            bias_ma=_milli(as_int(data.column("bias").get(idx))),
            temperature_c=_milli(as_int(data.column("temperature").get(idx))),
        ))
    return readings


PARSERS = {
    "optics_entity": parse_entity_sensors,
    "optics_cisco": parse_entity_sensors,
    "optics_huawei": parse_huawei,
    "optics_zte": parse_zte,
}

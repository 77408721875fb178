"""Vendor MIB rows of a simulated router: CPU/memory/temperature and transceiver optics.

What the profile groups read (``config/profiles/groups``):

- Huawei (``sys_descr`` mentions Huawei): HUAWEI-ENTITY-EXTENT-MIB hwEntityStateTable (one
  MPU board: CPU %, memory %, memory MB, temperature) and hwOpticalModuleInfoTable (Rx/Tx in
  0.01 dBm as current VRP reports, thresholds, bias, temperature) indexed by the port's
  entPhysicalIndex, whose entPhysicalName is the ifName;
- Cisco: CISCO-PROCESS-MIB cpmCPUTotalTable (5-minute CPU, memory used/free kB) and
  CISCO-ENTITY-SENSOR-MIB Tx/Rx power sensors (dBm, precision 1) with entSensorThresholdTable,
  each sensor contained in its port entity named like the ifName.

Optical ports are the interfaces terminating a link at >= 1 Gbit/s. Rx power follows the
link: with the link down there is no light (-40 dBm). Values are pure functions of model time.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from provnet.simulator.mib import Kind, Oid, Value

if TYPE_CHECKING:
    from provnet.simulator.device import Device, Iface

Row = tuple[Oid, Value | None, Callable[[Any, float], Value] | None, Any]

ENT_PHYSICAL_NAME: Oid = (1, 3, 6, 1, 2, 1, 47, 1, 1, 1, 1, 7)
ENT_CONTAINED_IN: Oid = (1, 3, 6, 1, 2, 1, 47, 1, 1, 1, 1, 4)
HW_ENTITY_STATE: Oid = (1, 3, 6, 1, 4, 1, 2011, 5, 25, 31, 1, 1, 1, 1)
HW_OPTICAL: Oid = (1, 3, 6, 1, 4, 1, 2011, 5, 25, 31, 1, 1, 3, 1)
CPM_CPU_TOTAL: Oid = (1, 3, 6, 1, 4, 1, 9, 9, 109, 1, 1, 1, 1)
ENT_SENSOR_VALUE: Oid = (1, 3, 6, 1, 4, 1, 9, 9, 91, 1, 1, 1, 1)
ENT_SENSOR_THRESHOLD: Oid = (1, 3, 6, 1, 4, 1, 9, 9, 91, 1, 2, 1, 1)
HW_MPU_INDEX = 67108867
HW_PORT_BASE = 67109120  # port entities 67109121.. (as VRP numbers 10GE slots)
NO_LIGHT_DBM = -40.0
RX_LOW_DBM, RX_HIGH_DBM, TX_LOW_DBM, TX_HIGH_DBM = -20.0, -3.0, -9.5, -3.0


def optical_ports(dev: Device) -> list[Iface]:
    """Interfaces with a transceiver: link ends at 1 Gbit/s or more."""
    return [f for f in dev.ifaces.values() if f.link_id is not None
            and f.plan.speed_mbps >= 1000]


def _wave(u: float, period_s: float, phase: float) -> float:
    return math.sin(2 * math.pi * (u / period_s + phase))


def rx_dbm(f: Iface, u: float) -> float:
    """Received power: the port's level with a slow wobble, or no light when the link is down."""
    if not f.oper_up:
        return NO_LIGHT_DBM
    base = -6.0 - zlib.crc32(f"{f.device.id}/{f.ifindex}".encode()) % 1300 / 100.0  # -6..-19
    return base + 0.15 * _wave(u, 600.0, f.pkt_size / 1000.0)


def tx_dbm(f: Iface, u: float) -> float:
    """Transmitted power (laser on while admin up)."""
    return -2.5 - (f.ifindex % 5) * 0.4 if f.admin_up else NO_LIGHT_DBM


def cpu_pct(dev: Device, u: float) -> int:
    """Board CPU load: a per-device base, a daily wave and a fast wobble."""
    base = 8 + dev.id * 37 % 25
    return max(1, min(99, round(base + 8 * _wave(u, 86400.0, 0.1) + 4 * _wave(u, 97.0, 0.3))))


def mem_pct(dev: Device, u: float) -> int:
    """Board memory use."""
    return max(5, min(95, round(35 + dev.id * 53 % 30 + 2 * _wave(u, 3600.0, 0.7))))


def temperature_c(dev: Device, u: float) -> int:
    """Board temperature."""
    return round(38 + dev.id % 9 + 3 * _wave(u, 86400.0, 0.4))


def _int(v: int) -> Value:
    return Kind.INTEGER, v


def _huawei(dev: Device) -> list[Row]:
    rows: list[Row] = [
        ((*HW_ENTITY_STATE, 5, HW_MPU_INDEX), None, lambda d, u: _int(cpu_pct(d, u)), dev),
        ((*HW_ENTITY_STATE, 7, HW_MPU_INDEX), None, lambda d, u: _int(mem_pct(d, u)), dev),
        ((*HW_ENTITY_STATE, 11, HW_MPU_INDEX), None,
         lambda d, u: _int(temperature_c(d, u)), dev),
        ((*HW_ENTITY_STATE, 19, HW_MPU_INDEX), _int(2048), None, None),
        ((*ENT_PHYSICAL_NAME, HW_MPU_INDEX), (Kind.OCTETS, b"MPU Board 0"), None, None),
    ]
    for f in optical_ports(dev):
        idx = HW_PORT_BASE + f.ifindex
        rows += [
            ((*ENT_PHYSICAL_NAME, idx), (Kind.OCTETS, f.plan.name.encode()), None, None),
            ((*HW_OPTICAL, 5, idx), None, lambda f, u: _int(temperature_c(f.device, u) - 4), f),
            ((*HW_OPTICAL, 7, idx), _int(9000 + f.ifindex * 731 % 6000), None, None),
            ((*HW_OPTICAL, 8, idx), None, lambda f, u: _int(round(rx_dbm(f, u) * 100)), f),
            ((*HW_OPTICAL, 9, idx), None, lambda f, u: _int(round(tx_dbm(f, u) * 100)), f),
            ((*HW_OPTICAL, 13, idx), _int(round(RX_LOW_DBM * 100)), None, None),
            ((*HW_OPTICAL, 14, idx), _int(round(RX_HIGH_DBM * 100)), None, None),
            ((*HW_OPTICAL, 15, idx), _int(round(TX_LOW_DBM * 100)), None, None),
            ((*HW_OPTICAL, 16, idx), _int(round(TX_HIGH_DBM * 100)), None, None),
        ]
    return rows


def _cisco_sensor(port: int, sensor: int, name: str, func: Callable[[Iface, float], float],
                  f: Iface, low: float, high: float) -> list[Row]:
    rows: list[Row] = [
        ((*ENT_PHYSICAL_NAME, sensor), (Kind.OCTETS, name.encode()), None, None),
        ((*ENT_CONTAINED_IN, sensor), _int(port), None, None),
        ((*ENT_SENSOR_VALUE, 1, sensor), _int(14), None, None),  # dBm
        ((*ENT_SENSOR_VALUE, 2, sensor), _int(9), None, None),  # units
        ((*ENT_SENSOR_VALUE, 3, sensor), _int(1), None, None),  # one decimal
        ((*ENT_SENSOR_VALUE, 4, sensor), None, lambda f, u: _int(round(func(f, u) * 10)), f),
        ((*ENT_SENSOR_VALUE, 5, sensor), _int(1), None, None),  # ok
    ]
    # critical high (>=), critical low (<=), as IOS-XE lists them
    for i, (rel, val) in enumerate(((4, high), (2, low)), start=1):
        rows += [((*ENT_SENSOR_THRESHOLD, 2, sensor, i), _int(30), None, None),
                 ((*ENT_SENSOR_THRESHOLD, 3, sensor, i), _int(rel), None, None),
                 ((*ENT_SENSOR_THRESHOLD, 4, sensor, i), _int(round(val * 10)), None, None)]
    return rows


def _cisco(dev: Device) -> list[Row]:
    gauge = Kind.GAUGE32
    rows: list[Row] = [
        ((*CPM_CPU_TOTAL, 8, 7), None, lambda d, u: (gauge, cpu_pct(d, u)), dev),
        ((*CPM_CPU_TOTAL, 12, 7), None, lambda d, u: (gauge, 81920 * mem_pct(d, u)), dev),
        ((*CPM_CPU_TOTAL, 13, 7), None, lambda d, u: (gauge, 81920 * (100 - mem_pct(d, u))),
         dev),
    ]
    for f in optical_ports(dev):
        port = 1000 * f.ifindex
        name = f.plan.name
        rows.append(((*ENT_PHYSICAL_NAME, port), (Kind.OCTETS, name.encode()), None, None))
        rows += _cisco_sensor(port, port + 3, f"{name} Transmit Power Sensor", tx_dbm, f,
                              TX_LOW_DBM, TX_HIGH_DBM)
        rows += _cisco_sensor(port, port + 4, f"{name} Receive Power Sensor", rx_dbm, f,
                              RX_LOW_DBM, RX_HIGH_DBM)
    return rows


def vendor_rows(dev: Device) -> list[Row]:
    """The vendor MIB rows this device serves (none for other vendors)."""
    descr = dev.plan.sys_descr.lower()
    if "huawei" in descr:
        return _huawei(dev)
    if "cisco" in descr:
        return _cisco(dev)
    return []

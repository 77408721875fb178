"""pollers.health: edge cases of the health parsers (recorded devices are in tests/data/snmp)."""

from __future__ import annotations

import pytest

from provnet.pollers.health import parse_cisco, parse_host_resources, parse_huawei, parse_ucd
from provnet.pollers.readings import GroupData, HealthReading, Reading

EMPTY = HealthReading()
RAM = ".1.3.6.1.2.1.25.2.1.2"


@pytest.mark.parametrize(
    ("parser", "data", "expected"),
    [
        (parse_host_resources, GroupData(), EMPTY),
        # hrStorage without a RAM row (only a disk): no memory figure, not 0 %
        (parse_host_resources, GroupData(columns={
            "storage_type": {(31,): ".1.3.6.1.2.1.25.2.1.4"}, "storage_units": {(31,): 4096},
            "storage_size": {(31,): 100}, "storage_used": {(31,): 50}}), EMPTY),
        # allocation units 0 would divide into nonsense: skipped
        (parse_host_resources, GroupData(columns={
            "storage_type": {(1,): RAM}, "storage_units": {(1,): 0},
            "storage_size": {(1,): 100}, "storage_used": {(1,): 50}}), EMPTY),
        # sysUpTime is used when hrSystemUptime is missing
        (parse_host_resources, GroupData(scalars={"sys_uptime": 12345}),
         HealthReading(uptime_s=123.45)),
        (parse_ucd, GroupData(scalars={"cpu_idle": 100}), HealthReading(cpu_pct=0.0)),
        (parse_ucd, GroupData(scalars={"cpu_idle": 0}), HealthReading(cpu_pct=100.0)),
        # memTotalReal 0 (container without /proc/meminfo): no memory figure
        (parse_ucd, GroupData(scalars={"mem_total": 0, "mem_avail": 0}), EMPTY),
        # lm-sensors absent or reporting 0: no temperature
        (parse_ucd, GroupData(columns={"lm_temp": {(1,): 0}}), EMPTY),
        # Huawei boards without memory size do not count (fans, PSUs report 0 %)
        (parse_huawei, GroupData(columns={"cpu": {(5,): 0}, "mem": {(5,): 0},
                                          "mem_size": {(5,): 0}}), EMPTY),
        (parse_huawei, GroupData(columns={"cpu": {(5,): 12}, "mem": {(5,): 30},
                                          "mem_size": {(5,): 536870912}}),
         HealthReading(cpu_pct=12.0, mem_used_pct=30.0, mem_total_bytes=536870912)),
        (parse_cisco, GroupData(), EMPTY),
        # cpmCPUMemory rows win over memory pools when both are there
        (parse_cisco, GroupData(columns={
            "mem_used_kb": {(1,): 1}, "mem_free_kb": {(1,): 3},
            "pool_used": {(1,): 9}, "pool_free": {(1,): 1}}),
         HealthReading(mem_used_pct=25.0, mem_total_bytes=4096)),
    ],
)
def test_health_parsers(parser: object, data: GroupData, expected: HealthReading) -> None:
    assert callable(parser)
    readings: list[Reading] = parser(data)
    assert readings == [expected]

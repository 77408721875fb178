"""Readings parsed from a recorded Huawei walk land in a real InfluxDB, names intact."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from provnet.pollers.groups import group_data, load_groups, parse_group
from provnet.pollers.readings import HealthReading, IcmpReading, OpticReading, reading_points
from tests.support.helpers import InfluxdHandle
from tests.support.snmpwalk import read_walk

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
T0 = 1_700_000_000_000_000_000


def test_optics_health_icmp_points_round_trip(influx_database: InfluxdHandle) -> None:
    groups = load_groups(ROOT / "config" / "profiles" / "groups")
    group = groups["optics_huawei"]
    walk = read_walk(ROOT / "tests" / "data" / "snmp" / "optics_huawei_vrp" / "walk.txt")
    optics = parse_group(group, group_data(group, walk))
    renamed = [replace(r, name=f"Cổng {r.name} – Mỹ Hòa")
               for r in optics if isinstance(r, OpticReading)]
    tags = {"device": "ub-30301", "site": "UB-30301", "huyện": "Châu Thành"}
    points = reading_points(
        [*renamed, HealthReading(cpu_pct=23.0, mem_used_pct=54.0, mem_total_bytes=3 << 30),
         IcmpReading("127.10.3.1", 4, 3, 25.0, 0.1, 0.2, 0.4)],
        tags, T0)
    with influx_database.v1_writer() as writer, influx_database.reader() as reader:
        writer.write(points)
        rows = reader.query('SELECT * FROM optics ORDER BY time')
        assert len(rows) == 4
        by_port = {row["ifindex"]: row for row in rows}  # a field: SSH does not know it
        assert by_port[6]["rx_dbm"] == -6.12 and by_port[6]["rx_low_dbm"] == -20.0
        assert by_port[6]["ifname"] == "Cổng GigabitEthernet0/0/1 – Mỹ Hòa"  # the series tag
        assert by_port[6]["source"] == "snmp"
        assert by_port[55]["rx_dbm"] == -40.0
        assert by_port[55]["alarm"] == "rx_low" and by_port[6]["alarm"] is None
        assert by_port[54]["alarm"] == "rx_low"  # -14.98 dBm under the -14.4 dBm alarm
        series = reader.query('SHOW SERIES FROM optics')
        assert len(series) == 4  # one per port
        assert all(row["huyện"] == "Châu Thành" for row in rows)
        (health,) = reader.query("SELECT * FROM device_health")
        assert health["mem_total_bytes"] == 3 << 30 and health["cpu_pct"] == 23.0
        (icmp,) = reader.query("SELECT * FROM icmp")
        assert icmp["loss_pct"] == 25.0 and icmp["received"] == 3


def test_snmp_and_ssh_optics_of_one_port_are_one_series(influx_database: InfluxdHandle
                                                        ) -> None:
    from provnet.pollers.ssh.samples import optic_points
    from provnet.pollers.ssh.types import OpticReading as SshOpticReading

    tags = {"device": "ag-pop-880", "site": "POP-880", "role": "pop"}
    snmp = reading_points([OpticReading("67109121", 1, "GigabitEthernet0/0/1", rx_dbm=-40.0),
                           OpticReading("1004", 3, "Gi0/0/3", rx_dbm=-8.0)], tags, T0)
    ssh = optic_points([SshOpticReading("GigabitEthernet0/0/1", rx_dbm=-40.1, voltage_v=3.3),
                        SshOpticReading("GigabitEthernet0/0/3", rx_dbm=-8.1)],
                       tags, T0 / 1e9 + 30)
    with influx_database.v1_writer() as writer, influx_database.reader() as reader:
        writer.write([*snmp, *ssh])
        assert len(reader.query("SHOW SERIES FROM optics")) == 2
        rows = reader.query("SELECT rx_dbm, source FROM optics WHERE ifname = $p ORDER BY time",
                            {"p": "GigabitEthernet0/0/1"})
        assert [(r["rx_dbm"], r["source"]) for r in rows] == [(-40.0, "snmp"), (-40.1, "ssh")]

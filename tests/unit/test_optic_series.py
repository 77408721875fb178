"""One optic, one series: SNMP and SSH write the same ``optics`` tag set for one port."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from provnet.pollers.readings import (
    OpticReading,
    expand_ifname,
    optic_port,
    optic_tags,
    reading_points,
)
from provnet.pollers.ssh.samples import optic_points
from provnet.pollers.ssh.types import OpticReading as SshOpticReading

TAGS = {"device": "ag-pop-880", "site": "POP-880", "role": "pop", "district": "886"}
T = 1_700_000_000.0


def series(point_tags: Mapping[str, str], measurement: str = "optics") -> tuple[str, ...]:
    return (measurement, *sorted(f"{k}={v}" for k, v in point_tags.items()))


@pytest.mark.parametrize(("snmp", "ssh"), [
    # the demo's Huawei PoP: ifName matched by entPhysicalName, same name in the CLI
    (OpticReading("67109121", 1, "GigabitEthernet0/0/1", rx_dbm=-40.0),
     SshOpticReading("GigabitEthernet0/0/1", rx_dbm=-13.6)),
    # Cisco IOS: ifName is short, the CLI name is expanded by the platform's aliases
    (OpticReading("1004", 3, "Gi0/0/1", rx_dbm=-8.0),
     SshOpticReading("GigabitEthernet0/0/1", rx_dbm=-8.1)),
    # a sensor tied to its port by name only (no ifindex): "Te1/1/1 Receive Power Sensor"
    (OpticReading("2004", None, "Te1/1/1", rx_dbm=-3.0),
     SshOpticReading("TenGigabitEthernet1/1/1", rx_dbm=-3.1)),
    # Huawei short name in one, full in the other
    (OpticReading("67109122", 2, "GE0/0/2", rx_dbm=-5.0),
     SshOpticReading("GigabitEthernet0/0/2", rx_dbm=-5.0)),
], ids=["huawei", "cisco-short-ifname", "no-ifindex", "huawei-short"])
def test_snmp_and_ssh_readings_of_one_port_are_one_series(snmp: OpticReading,
                                                          ssh: SshOpticReading) -> None:
    (snmp_point,) = reading_points([snmp], TAGS, int(T * 1e9))
    (ssh_point,) = optic_points([ssh], TAGS, T + 30)
    assert series(snmp_point.tags) == series(ssh_point.tags)
    assert snmp_point.fields["source"] == "snmp" and ssh_point.fields["source"] == "ssh"
    if snmp.ifindex is not None:
        assert snmp_point.fields["ifindex"] == snmp.ifindex


def test_different_ports_stay_different_series() -> None:
    points = reading_points([OpticReading("1", rx_dbm=-3.0), OpticReading("2", rx_dbm=-4.0),
                             OpticReading("3", 7, rx_dbm=-5.0),
                             OpticReading("4", 8, "GigabitEthernet0/0/8", rx_dbm=-6.0)],
                            TAGS, None)
    points += optic_points([SshOpticReading("GigabitEthernet0/0/9", rx_dbm=-7.0)], TAGS, T)
    assert len({series(p.tags) for p in points}) == 5


@pytest.mark.parametrize(("name", "full"), [
    ("Gi0/0/1", "GigabitEthernet0/0/1"),
    ("GigabitEthernet0/0/1", "GigabitEthernet0/0/1"),
    ("Te1/1/1", "TenGigabitEthernet1/1/1"),
    ("GE0/0/1", "GigabitEthernet0/0/1"),
    ("XGE0/0/1", "XGigabitEthernet0/0/1"),
    ("Hu0/0/1/0", "HundredGigE0/0/1/0"),
    ("Gig0/1", "Gig0/1"),          # not an alias followed by a digit: unchanged
    ("Eth-Trunk1", "Eth-Trunk1"),
    ("gpon0/1/2", "gpon0/1/2"),
])
def test_expand_ifname(name: str, full: str) -> None:
    assert expand_ifname(name) == full


@pytest.mark.parametrize(("args", "port"), [
    (("Gi0/1", 3, "1004"), "GigabitEthernet0/1"),
    ((" GigabitEthernet0/1 ", None, None), "GigabitEthernet0/1"),
    ((None, 3, "1004"), "if3"),
    (("", 3, None), "if3"),
    ((None, None, "1.2"), "sensor1.2"),
])
def test_optic_port(args: tuple[str | None, int | None, str | None], port: str) -> None:
    assert optic_port(*args) == port
    assert optic_tags(TAGS, port) == {**TAGS, "ifname": port}


def test_ifname_aliases_cover_every_ssh_platform() -> None:
    """SNMP names are expanded with IFNAME_ALIASES, SSH names with their platform's: the
    platforms' aliases must all be in IFNAME_ALIASES, or a port splits into two series."""
    from provnet.pollers.readings import IFNAME_ALIASES
    from provnet.pollers.ssh.platforms import load_platforms

    for name, platform in load_platforms().items():
        assert dict(platform.ifname_aliases).items() <= dict(IFNAME_ALIASES).items(), name

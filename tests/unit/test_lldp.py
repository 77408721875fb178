"""LLDP-MIB parsing and the rows discovery proposes (pure)."""

from __future__ import annotations

from provnet.pollers.lldp import (
    IF_DESCR,
    IF_NAME,
    LLDP_LOC_PORT,
    LLDP_REM,
    SYS_NAME,
    DeviceFacts,
    Neighbour,
    discovery_rows,
    parse_facts,
)


def test_parse_facts_names_ports_by_subtype() -> None:
    rows = [
        ((*IF_NAME, 20), b"eth1"), ((*IF_DESCR, 20), b"ignored"), ((*IF_DESCR, 21), b"eth2"),
        ((*LLDP_LOC_PORT, 2, 21), 5), ((*LLDP_LOC_PORT, 3, 21), b"ge-0/0/2"),
        # neighbour on port 20: port id is a MAC (subtype 3): the description names the port
        ((*LLDP_REM, 6, 300, 20, 1), 3), ((*LLDP_REM, 7, 300, 20, 1), b"\x02\xf9\xda\x14\x05a"),
        ((*LLDP_REM, 8, 300, 20, 1), b"Gi0/0/1"), ((*LLDP_REM, 9, 300, 20, 1), b"pop1"),
        # neighbour on port 21: port id is an interface name (subtype 5)
        ((*LLDP_REM, 6, 300, 21, 2), 5), ((*LLDP_REM, 7, 300, 21, 2), b"xe-1/0/0"),
        ((*LLDP_REM, 8, 300, 21, 2), b"uplink"), ((*LLDP_REM, 9, 300, 21, 2), b"lp1"),
        # no system name: not a neighbour we can name
        ((*LLDP_REM, 6, 300, 22, 3), 5), ((*LLDP_REM, 7, 300, 22, 3), b"x"),
    ]
    f = parse_facts("10.0.0.1", [(SYS_NAME, b"core1")], rows)
    assert f.sys_name == "core1" and f.ifnames == {20: "eth1", 21: "eth2"}
    assert f.neighbours == [Neighbour("eth1", "pop1", "Gi0/0/1"),
                            Neighbour("ge-0/0/2", "lp1", "xe-1/0/0")]


def test_discovery_rows_link_walked_devices_once_downstream_first() -> None:
    core = DeviceFacts("10.0.0.1", "core1", neighbours=[Neighbour("ge1", "pop1", "ge0"),
                                                        Neighbour("ge9", "stranger", "x")])
    pop = DeviceFacts("10.0.0.2", "pop1", neighbours=[Neighbour("ge0", "core1", "ge1")])
    dead = DeviceFacts("10.0.0.3", error="TimeoutError")
    rows = discovery_rows([core, pop, dead], site="S1", snmp_profile="lab")
    by = {(r.kind, tuple(r.values.values())[:4]) for r in rows}
    assert ("devices", ("core1", "S1", "router", "")) in by
    assert [r.values for r in rows if r.kind == "links"] == [{
        "side_a_device": "pop1", "side_a_name": "ge0", "side_b_device": "core1",
        "side_b_name": "ge1", "kind": "lldp", "commit_rate": "1000000", "provider": "",
        "cid": ""}]
    assert len([r for r in rows if r.kind == "interfaces"]) == 2
    assert discovery_rows([core, pop], site=None, snmp_profile="")[0].kind != "devices"

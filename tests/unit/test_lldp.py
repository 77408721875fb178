"""LLDP-MIB parsing and the rows discovery proposes (pure)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from provnet.pollers.lldp import (
    IF_DESCR,
    IF_NAME,
    LLDP_LOC_PORT,
    LLDP_REM,
    SYS_DESCR,
    SYS_NAME,
    SYS_OBJECT_ID,
    DeviceFacts,
    Neighbour,
    discovery_rows,
    next_hops,
    parse_facts,
)
from tests.support.snmpwalk import read_walk

CASES_DIR = Path(__file__).resolve().parents[1] / "data" / "discovery"
CASES = sorted(p.name for p in CASES_DIR.iterdir() if (p / "expected.json").is_file())


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


@pytest.mark.parametrize("case", CASES)
def test_recorded_neighbours(case: str) -> None:
    """Recorded ``snmpwalk -On`` answers -> the neighbours (LLDP, else CISCO-CDP-MIB)."""
    walk = read_walk(CASES_DIR / case / "walk.txt")
    scalars = [vb for vb in walk if vb[0] in (SYS_NAME, SYS_DESCR, SYS_OBJECT_ID)]
    facts = parse_facts("192.0.2.1", scalars, [vb for vb in walk if vb not in scalars])
    want = json.loads((CASES_DIR / case / "expected.json").read_text(encoding="utf-8"))
    assert facts.sys_name == want["sys_name"]
    assert [[n.local_port, n.remote_name, n.remote_port, n.address]
            for n in facts.neighbours] == want["neighbours"]


def test_there_are_cdp_and_lldp_cases() -> None:
    assert {"cdp_catalyst", "lldp_and_cdp"} <= set(CASES)


@pytest.mark.parametrize(("walked", "want"), [
    ({"10.0.0.1"}, ["10.0.0.2", "10.0.0.4"]),  # pop1 is named once, stranger has no address
    ({"10.0.0.1", "10.0.0.2"}, ["10.0.0.4"]),  # already walked by address
    (set(), ["10.0.0.2", "10.0.0.4"]),  # core1 was walked (known by name): not again
])
def test_next_hops_ring_outwards(walked: set[str], want: list[str]) -> None:
    core = DeviceFacts("10.0.0.1", "core1", neighbours=[
        Neighbour("ge1", "pop1", "ge0", "10.0.0.2"), Neighbour("ge2", "pop1", "ge9", "10.0.0.2"),
        Neighbour("ge3", "stranger", "x"), Neighbour("ge4", "pop2", "ge0", "10.0.0.4")])
    pop2 = DeviceFacts("10.0.0.3", "pop3", neighbours=[
        Neighbour("ge0", "core1", "ge5", "10.0.0.1")])
    assert next_hops([core, pop2], walked) == want

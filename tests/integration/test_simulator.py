"""The simulator as a subprocess, checked with net-snmp's command-line tools over real UDP.

net-snmp is a third-party client, so these tests do not check pysnmp against pysnmp.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from provnet.simulator.example import example_plan
from provnet.simulator.faults import parse_fault
from provnet.simulator.plan import plan_from_dict
from provnet.simulator.runner import Simulator, serve
from tests.support.sim_fixtures import (
    SimProcess,
    free_udp_port,
    snmpbulkget,
    snmpget,
    snmpset_int,
    snmpwalk,
    start_simulator,
)

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(shutil.which("snmpget") is None, reason="net-snmp tools not installed"),
]

CORE, POP_A, POP_B = "127.77.0.1", "127.77.1.1", "127.77.2.1"
C1, C2, C3, C4 = (f"127.77.10.{i}" for i in range(1, 5))
SYS_UPTIME, SYS_NAME, SYS_OBJECT_ID = "1.3.6.1.2.1.1.3.0", "1.3.6.1.2.1.1.5.0", "1.3.6.1.2.1.1.2.0"
IF_ADMIN, IF_OPER = "1.3.6.1.2.1.2.2.1.7", "1.3.6.1.2.1.2.2.1.8"
IF_NAME, HC_IN, HC_OUT = "1.3.6.1.2.1.31.1.1.1.1", "1.3.6.1.2.1.31.1.1.1.6", \
    "1.3.6.1.2.1.31.1.1.1.10"
OIDS_PER_IFACE = 26
SCALARS = 9  # system group (7), ifNumber, ifTableLastChange
ENTITY_ROWS = 5  # POP-A (Huawei): entPhysicalName of its MPU and its 4 optical ports

StartSim = Callable[..., SimProcess]


@pytest.fixture
def start_sim(tmp_path: Path) -> Iterator[StartSim]:
    """Start simulators (example plan unless given); every one is stopped by PID afterwards."""
    started: list[SimProcess] = []

    def start(faults: tuple[str, ...] = (), plan: dict[str, Any] | None = None,
              args: tuple[str, ...] = ()) -> SimProcess:
        sim = start_simulator(tmp_path, plan or example_plan(), faults, args=args)
        started.append(sim)
        return sim

    yield start
    for sim in started:
        sim.stop()


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimProcess]:
    """One shared simulator for the read-only tests."""
    proc = start_simulator(tmp_path_factory.mktemp("sim"), example_plan())
    try:
        yield proc
    finally:
        proc.stop()


def answers(sim: SimProcess, address: str) -> bool:
    return snmpget(address, sim.port, SYS_NAME) is not None


def test_system_and_interface_values(sim: SimProcess) -> None:
    names = {a: snmpget(a, sim.port, SYS_NAME) for a in (CORE, POP_A, POP_B, C1, C2, C3, C4)}
    assert {a: (v or {}).get(SYS_NAME) for a, v in names.items()} == {
        CORE: "ag-core-01", POP_A: "ag-pop-a", POP_B: "ag-pop-b", C1: "ag-c1", C2: "ag-c2",
        C3: "ag-c3", C4: "ag-c4"}
    assert snmpget(CORE, sim.port, SYS_OBJECT_ID) == {SYS_OBJECT_ID: ".1.3.6.1.4.1.2011.2.62"}
    assert snmpwalk(C3, sim.port, IF_NAME) == {
        f"{IF_NAME}.1": "GigabitEthernet0/0/1", f"{IF_NAME}.2": "GigabitEthernet0/0/2",
        f"{IF_NAME}.10": "Vlanif10"}
    got = snmpget(C1, sim.port, "1.3.6.1.2.1.31.1.1.1.15.1", "1.3.6.1.2.1.2.2.1.5.1",
                  "1.3.6.1.2.1.2.2.1.3.1", f"{IF_OPER}.1", "1.3.6.1.2.1.2.2.1.99.1",
                  f"{HC_IN}.7")
    assert got is not None
    assert list(got.values()) == ["1000", "1000000000", "6", "1",
                                  "No Such Object available on this agent at this OID",
                                  "No Such Instance currently exists at this OID"]


@pytest.mark.parametrize("options", [(), ("-Cr1",), ("-Cr500",)])
def test_full_walk_is_complete_and_ordered(sim: SimProcess, options: tuple[str, ...]) -> None:
    walked = snmpwalk(POP_A, sim.port, "", *options)
    values = [k for k, v in walked.items() if not v.startswith("No more variables")]
    assert len(values) == SCALARS + 4 * OIDS_PER_IFACE + ENTITY_ROWS
    keys = [tuple(int(x) for x in k.split(".")) for k in values]
    assert keys == sorted(keys)


def test_hc_counters_grow_at_configured_rate(sim: SimProcess) -> None:
    oids = [f"{HC_IN}.1", f"{HC_OUT}.1", f"{HC_IN}.10", f"{HC_OUT}.10"]
    expected_bps = [8e6, 1e6, 5e5, 4e6]       # from example_plan(): uplink and LAN of C1
    t0 = time.monotonic()
    first = snmpget(C1, sim.port, *oids)
    time.sleep(3.0)
    t1 = time.monotonic()
    second = snmpget(C1, sim.port, *oids)
    assert first is not None and second is not None
    for oid, bps in zip(oids, expected_bps, strict=True):
        rate = (int(second[oid]) - int(first[oid])) * 8 / (t1 - t0)
        assert rate == pytest.approx(bps, rel=0.30), oid


def test_wrong_community_gets_no_answer(sim: SimProcess) -> None:
    assert snmpget(C1, sim.port, SYS_NAME, community="private") is None
    res = snmpset_int(POP_A, sim.port, f"{IF_ADMIN}.2", 2, community="private")
    assert res.returncode != 0 and "Timeout" in res.stderr
    v1 = subprocess.run(["snmpget", "-v1", "-c", "public", "-t", "0.3", "-r", "0",
                         f"{C1}:{sim.port}", SYS_NAME], capture_output=True, text=True,
                        timeout=30, check=False)
    assert "Timeout" in v1.stderr               # SNMPv1 is not served
    assert snmpget(C1, sim.port, SYS_NAME) is not None


def test_in_process_serve() -> None:
    plan = plan_from_dict(example_plan(port=free_udp_port()))
    events: list[str] = []

    async def scenario() -> tuple[Any, ...]:
        stop = asyncio.Event()
        ready: asyncio.Future[Simulator] = asyncio.get_running_loop().create_future()
        task = asyncio.create_task(serve(plan, [parse_fault("C2:device-down@0.3")],
                                         control_port=0, on_ready=ready.set_result,
                                         stop=stop, on_event=events.append))
        sim = await ready
        before = await asyncio.to_thread(snmpget, C2, plan.port, SYS_NAME)
        await asyncio.sleep(0.6)
        after = await asyncio.to_thread(snmpget, C2, plan.port, SYS_NAME)
        control = sim.control_address
        stop.set()
        return before, after, control, await task

    before, after, control, stats = asyncio.run(scenario())
    assert before == {SYS_NAME: "ag-c2"} and after is None
    assert control is not None and control[0] == "127.0.0.1"
    assert stats.responses == 1 and stats.unreachable >= 1
    assert len(events) == 1 and "C2 device-down" in events[0]


def test_snmpset_admin_down_takes_both_ends_and_downstream_down(start_sim: StartSim) -> None:
    sim = start_sim()
    # towards dual-homed C3: both ends oper down, C3 still reachable over POP-B
    assert snmpset_int(POP_A, sim.port, f"{IF_ADMIN}.4", 2).returncode == 0
    assert snmpget(POP_A, sim.port, f"{IF_ADMIN}.4", f"{IF_OPER}.4") == {
        f"{IF_ADMIN}.4": "2", f"{IF_OPER}.4": "2"}
    assert snmpget(C3, sim.port, f"{IF_ADMIN}.1", f"{IF_OPER}.1", f"{IF_OPER}.2") == {
        f"{IF_ADMIN}.1": "1", f"{IF_OPER}.1": "2", f"{IF_OPER}.2": "1"}
    # towards single-homed C1: C1 stops answering, comes back when the port is enabled
    assert snmpset_int(POP_A, sim.port, f"{IF_ADMIN}.2", 2).returncode == 0
    assert snmpget(POP_A, sim.port, f"{IF_OPER}.2") == {f"{IF_OPER}.2": "2"}
    assert not answers(sim, C1)
    assert snmpset_int(POP_A, sim.port, f"{IF_ADMIN}.2", 1).returncode == 0
    assert snmpget(C1, sim.port, f"{IF_OPER}.1") == {f"{IF_OPER}.1": "1"}
    bad = snmpset_int(POP_A, sim.port, f"{IF_OPER}.2", 2)
    assert "notWritable" in bad.stdout + bad.stderr


def test_dual_homed_site_and_control_port(start_sim: StartSim) -> None:
    sim = start_sim()
    reply = sim.command(link=7, action="link-down")           # C3's uplink to POP-B
    assert reply["ok"] and reply["unreachable"] == []
    assert answers(sim, C3)
    assert snmpget(POP_B, sim.port, f"{IF_OPER}.3") == {f"{IF_OPER}.3": "2"}
    reply = sim.command(site="C3", action="link-down")        # both uplinks
    assert reply["ok"] and reply["unreachable"] == [13] and reply["links"] == [5, 7]
    assert not answers(sim, C3)
    assert answers(sim, C4)
    assert sim.command(site="C3", action="link-up")["reachable_again"] == [13]
    assert answers(sim, C3)
    assert sim.command(site="NOWHERE", action="link-down") == {
        "ok": False, "error": "unknown site 'NOWHERE'"}
    status = sim.command(action="status")
    assert status["ok"] and status["unreachable"] == [] and status["stats"]["responses"] > 0
    assert any(line.startswith("CONTROL ") and "C3" in line for line in sim.lines)


def test_scheduled_fault_fires(start_sim: StartSim) -> None:
    sim = start_sim(faults=("C4:link-down@1",))
    assert answers(sim, C4)
    line = sim.wait_line("FAULT", timeout=10)
    assert "C4 link-down" in line and "unreachable=[14]" in line
    assert not answers(sim, C4)
    assert answers(sim, C1)


def test_port_states_are_published_for_the_ssh_simulator(start_sim: StartSim,
                                                         tmp_path: Path) -> None:
    path = tmp_path / "ports.json"
    sim = start_sim(args=("--port-states", str(path)))

    def c4_uplink() -> dict[str, Any]:
        port: dict[str, Any] = json.loads(path.read_text())["devices"]["ag-c4"][
            "GigabitEthernet0/0/1"]
        return port

    assert c4_uplink()["up"] is True and c4_uplink()["rx_dbm"] > -20  # written at start
    assert sim.command(link=6, action="link-down")["ok"]
    deadline = time.monotonic() + 5
    while c4_uplink()["up"] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert c4_uplink() == {"up": False, "admin_up": True, "rx_dbm": -40.0,
                           "tx_dbm": c4_uplink()["tx_dbm"]}
    # a SET (not a control command) is published too
    assert snmpset_int(POP_A, sim.port, f"{IF_ADMIN}.2", 2).returncode == 0
    while json.loads(path.read_text())["devices"]["ag-pop-a"]["GE0/0/1"]["admin_up"]:
        assert time.monotonic() < deadline + 5
        time.sleep(0.05)


def test_reboot_resets_uptime_and_counters(start_sim: StartSim) -> None:
    sim = start_sim()
    before = snmpget(C2, sim.port, SYS_UPTIME, f"{HC_IN}.1")
    assert before is not None and int(before[SYS_UPTIME]) > 86400 * 100
    assert sim.command(device="ag-c2", action="reboot")["ok"]
    after = snmpget(C2, sim.port, SYS_UPTIME, f"{HC_IN}.1")
    assert after is not None
    assert int(after[SYS_UPTIME]) < 500
    assert int(after[f"{HC_IN}.1"]) < int(before[f"{HC_IN}.1"])


def test_getbulk_truncated_to_message_size(start_sim: StartSim) -> None:
    sim = start_sim(plan=example_plan(max_message_bytes=1400))
    got = snmpbulkget(POP_A, sim.port, SYS_UPTIME[:-2], "1.3.6.1.2.1.2.2", non_rep=1,
                      max_rep=200)
    assert got[0][0] == SYS_UPTIME
    assert 20 < len(got) < 60
    walked = snmpwalk(POP_A, sim.port, "", "-Cr200")
    assert len([v for v in walked.values() if not v.startswith("No more")]) == \
        SCALARS + 4 * OIDS_PER_IFACE + ENTITY_ROWS


@pytest.mark.parametrize(("args", "message"), [
    (["--fault", "C1:explode@3"], "unknown action 'explode'"),
    (["--fault", "NOWHERE:link-down@3"], "unknown site 'NOWHERE'"),
    (["--port", "0"], "--port 0"),
])
def test_cli_rejects_bad_input(tmp_path: Path, args: list[str], message: str) -> None:
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps(example_plan(port=1)), encoding="utf-8")
    res = subprocess.run([sys.executable, "-m", "provnet.simulator", "--plan", str(plan), *args],
                         capture_output=True, text=True, timeout=30, check=False)
    assert res.returncode == 2 and message in res.stderr
    assert "READY" not in res.stdout

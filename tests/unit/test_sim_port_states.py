"""The SNMP simulator's published port states, and the demo's SSH devices following them."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from provnet.pollers.ssh.parse import parse_interfaces, parse_optics
from provnet.pollers.ssh.platforms import load_platforms
from provnet.simulator.example import POP_A, example_plan
from provnet.simulator.model import Network
from provnet.simulator.plan import plan_from_dict
from provnet.simulator.portstate import (
    PortState,
    PortStateFile,
    parse_port_states,
    port_states,
    write_port_states,
)
from provnet.simulator.runner import Simulator
from provnet.sshsim import SimDevice, default_port_states, render_interfaces, render_optics

WALL = 1_760_000_000.0
PLATFORMS = load_platforms()


def network() -> Network:
    return Network(plan_from_dict(example_plan()), 0.0, WALL)


def ports_after(action: str, arg: int) -> dict[str, dict[str, dict[str, Any]]]:
    n = network()
    getattr(n, action)(arg, 10.0)
    states: dict[str, dict[str, dict[str, Any]]] = port_states(n, 11.0)["devices"]
    return states


# (action, argument, device, ifName) -> what that port looks like
@pytest.mark.parametrize(("action", "arg", "device", "ifname", "up", "rx"), [
    ("link_up", 1, "ag-pop-a", "GE0/0/0", True, "light"),
    ("link_down", 1, "ag-pop-a", "GE0/0/0", False, -40.0),             # both ends dark
    ("link_down", 1, "ag-core-01", "GigabitEthernet0/0/1", False, -40.0),
    ("link_down", 1, "ag-core-01", "GigabitEthernet0/0/2", True, "light"),  # other link
    ("device_down", POP_A, "ag-core-01", "GigabitEthernet0/0/1", False, -40.0),
    ("link_down", 2, "ag-pop-b", "Te0/0/0", False, -40.0),             # Cisco agent too
    ("link_down", 1, "ag-c1", "Vlanif10", True, None),                  # no transceiver
])
def test_port_states_follow_the_model(action: str, arg: int, device: str, ifname: str,
                                      up: bool, rx: float | str | None) -> None:
    port = ports_after(action, arg)[device][ifname]
    assert port["up"] is up and port["admin_up"] is True
    if rx == "light":
        assert -19.5 < port["rx_dbm"] < -5.5 and port["tx_dbm"] > -10
    else:
        assert port.get("rx_dbm") == rx


@pytest.mark.parametrize(("data", "expected"), [
    ({"devices": {"r1": {"GE0/0/1": {"up": False, "rx_dbm": -40.0, "tx_dbm": -2.5}}}},
     {"r1": {"GE0/0/1": PortState(False, True, -40.0, -2.5)}}),
    ({"devices": {"r1": {"Vlanif10": {"up": True}}}}, {"r1": {"Vlanif10": PortState(True)}}),
    ({"devices": {"r1": {"GE0/0/1": {"up": False, "rx_dbm": "x"}, "bad": 3}}},
     {"r1": {"GE0/0/1": PortState(False)}}),
    ({"devices": {"r1": "nonsense"}}, {}),
    ({"devices": []}, {}),
    ([], {}),
])
def test_parse_port_states(data: Any, expected: dict[str, dict[str, PortState]]) -> None:
    assert parse_port_states(data) == expected


def test_port_state_file_round_trip_and_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "ports.json"
    states = PortStateFile(path)
    assert states.device("ag-pop-a") == {}  # not written yet: nothing known
    write_port_states(path, {"devices": {"ag-pop-a": {"GE0/0/0": {"up": False}}}})
    assert states.device("ag-pop-a") == {"GE0/0/0": PortState(False)}
    path.write_text("{half a file", encoding="utf-8")
    assert states.device("ag-pop-a") == {"GE0/0/0": PortState(False)}  # last good read
    path.unlink()
    assert states.device("ag-pop-a") == {}
    assert default_port_states(tmp_path / "sshsim") == tmp_path / "simulator-ports.json"


def test_simulator_publishes_after_each_change(tmp_path: Path) -> None:
    path = tmp_path / "ports.json"

    async def main() -> None:
        sim = Simulator(plan_from_dict(example_plan()), port_states=path)
        sim.publish_port_states()  # what start() does
        assert json.loads(path.read_text())["devices"]["ag-pop-a"]["GE0/0/0"]["up"] is True
        sim.network.link_down(1, 1.0)
        await asyncio.sleep(0)  # written once the change is complete
        after = json.loads(path.read_text())["devices"]
        assert after["ag-pop-a"]["GE0/0/0"] == {"up": False, "admin_up": True,
                                                "rx_dbm": -40.0, "tx_dbm": -2.9}
        assert after["ag-core-01"]["GigabitEthernet0/0/1"]["up"] is False

    asyncio.run(main())


HUAWEI = SimDevice("ag-pop-a", "huawei_vrp", 22, interfaces=[
    ("GigabitEthernet0/0/0", "uplink"), ("GigabitEthernet0/0/1", "C1"),
    ("GigabitEthernet0/0/2", "C2")])
CISCO = SimDevice("ag-pop-b", "cisco_ios", 22, interfaces=[
    ("TenGigabitEthernet0/0/0", "uplink"), ("GigabitEthernet0/0/1", "C4"),
    ("GigabitEthernet0/0/2", "C3")])
STATES = {"GigabitEthernet0/0/0": PortState(False, True, -40.0, -2.5),    # link down
          "TenGigabitEthernet0/0/0": PortState(False, True, -40.0, -2.5),
          "GigabitEthernet0/0/1": PortState(True, True, -12.34, -2.9),    # healthy, SNMP's level
          "GigabitEthernet0/0/2": PortState(False, False)}                 # shut down


@pytest.mark.parametrize("dev", [HUAWEI, CISCO], ids=["huawei_vrp", "cisco_ios"])
def test_ssh_outputs_follow_the_snmp_simulator(dev: SimDevice) -> None:
    platform = PLATFORMS[dev.platform]
    optics = {r.name: r for r in parse_optics(platform, render_optics(dev, STATES))}
    uplink, c_port, shut = (name for name, _ in dev.interfaces)
    assert optics[uplink].rx_dbm == -40.0 and optics[uplink].tx_dbm == -2.5
    assert optics[c_port].rx_dbm == pytest.approx(-12.34, abs=0.05)
    assert -14 <= (optics[shut].rx_dbm or 0) <= -6  # no level published: the seeded one
    ifs = {i.name: i for i in parse_interfaces(platform, render_interfaces(dev, STATES))}
    assert (ifs[uplink].link_up, ifs[uplink].protocol_up) == (False, False)
    assert (ifs[c_port].link_up, ifs[c_port].protocol_up) == (True, True)
    assert (ifs[shut].link_up, ifs[shut].protocol_up) == (False, False)
    # without published states: every port up and lit, as before
    assert all(r.rx_dbm is not None and r.rx_dbm > -15
               for r in parse_optics(platform, render_optics(dev)))
    assert all(i.link_up for i in parse_interfaces(platform, render_interfaces(dev)))

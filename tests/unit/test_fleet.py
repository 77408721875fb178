"""Benchmark fleet plans: valid for the simulator, every device reachable, shards disjoint."""

from __future__ import annotations

import time

import pytest

from provnet.simulator.fleet import fleet_address, fleet_plans
from provnet.simulator.model import Network
from provnet.simulator.plan import plan_from_dict


@pytest.mark.parametrize(("devices", "shards", "ifaces"),
                         [(1, 1, 4), (7, 1, 3), (100, 2, 4), (1001, 3, 6), (5, 8, 4)])
def test_fleet_plans_are_valid_reachable_and_disjoint(devices: int, shards: int,
                                                      ifaces: int) -> None:
    plans = fleet_plans(devices, 16161, shards, ifaces)
    assert len(plans) == min(shards, devices)
    seen: set[str] = set()
    for data in plans:
        plan = plan_from_dict(data)
        net = Network(plan, time.monotonic(), time.time())
        assert net.reachable == {d.id for d in plan.devices}
        assert all(len(d.interfaces) == ifaces for d in plan.devices)
        addresses = {d.address for d in plan.devices}
        assert not addresses & seen
        seen |= addresses
    assert len(seen) == devices


@pytest.mark.parametrize(("i", "address"), [(0, "127.200.0.1"), (249, "127.200.0.250"),
                                            (250, "127.200.1.1"), (9999, "127.200.39.250")])
def test_fleet_address(i: int, address: str) -> None:
    assert fleet_address(i) == address


@pytest.mark.parametrize(("devices", "ifaces"), [(0, 4), (10, 2), (10, 68)])
def test_bad_fleet_sizes(devices: int, ifaces: int) -> None:
    with pytest.raises(ValueError):
        fleet_plans(devices, 16161, 1, ifaces)

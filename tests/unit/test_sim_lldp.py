"""The simulator's LLDP-MIB rows from the plan's links (pure), read back by the poller's
parser: each link end names the far device (sysName), its port (ifName) and address."""

from __future__ import annotations

from provnet.pollers.lldp import Neighbour, parse_facts
from provnet.simulator.lldp import lldp_rows
from provnet.simulator.plan import Plan, PlanDevice, plan_from_dict


def _served(dev: PlanDevice, plan: Plan) -> list[tuple[tuple[int, ...], object]]:
    """The varbinds as the agent serves them (values without their syntax tag)."""
    return [(oid, value) for oid, (_, value) in lldp_rows(dev, plan)]


def _plan() -> dict[str, object]:
    def dev(i: int, name: str, ifaces: list[tuple[int, str, int | None]]) -> dict[str, object]:
        return {"id": i, "site": f"S{i}", "address": f"127.9.0.{i}", "sys_name": name,
                "interfaces": [{"ifindex": x, "name": n, "speed_mbps": 1000, "link": lk}
                               for x, n, lk in ifaces]}
    return {"port": 1161, "community": "public", "core_device": 1,
            "devices": [dev(1, "lõi", [(1, "GE0/0/1", 1), (2, "GE0/0/2", 2)]),
                        dev(2, "pop-a", [(7, "GE0/1/0", 1), (8, "GE0/1/1", None)]),
                        dev(3, "xã-b", [(3, "eth0", 2)])],
            "links": [{"id": 1, "a_device": 2, "a_ifindex": 7, "z_device": 1, "z_ifindex": 1},
                      {"id": 2, "a_device": 3, "a_ifindex": 3, "z_device": 1, "z_ifindex": 2}]}


def test_lldp_rows_follow_the_links_both_ends() -> None:
    plan = plan_from_dict(_plan())
    by_id = {d.id: d for d in plan.devices}
    core = parse_facts("127.9.0.1", [], _served(by_id[1], plan))
    assert core.neighbours == [Neighbour("GE0/0/1", "pop-a", "GE0/1/0", "127.9.0.2"),
                               Neighbour("GE0/0/2", "xã-b", "eth0", "127.9.0.3")]
    pop = parse_facts("127.9.0.2", [], _served(by_id[2], plan))
    assert pop.neighbours == [Neighbour("GE0/1/0", "lõi", "GE0/0/1", "127.9.0.1")]
    oids = [oid for oid, _ in lldp_rows(by_id[1], plan)]
    assert len(oids) == len(set(oids))  # one lldpLocPortTable row per port


def test_unlinked_device_has_no_lldp_rows() -> None:
    data = _plan()
    data["links"] = []
    for d in data["devices"]:  # type: ignore[attr-defined]
        for f in d["interfaces"]:
            f["link"] = None
    plan = plan_from_dict(data)
    assert lldp_rows(plan.devices[0], plan) == []

"""Benchmark fleets: N look-alike commune routers on loopback, split into shard plans.

Each device has ``ifaces`` interfaces (default 4: two uplinks, a LAN, a management VLAN),
so a regular poll of provnet's engine reads ~40 varbinds (2 scalars + 9 per interface).
Addresses are ``127.<net>.<i // 250>.<i % 250 + 1>`` (``net`` 200 by default, far from the
demo's 127.10.0.0/16 and the tests' 127.77/127.88); every device answers on one UDP port.
"""

from __future__ import annotations

import random
from typing import Any

MAX_DEVICES = 250 * 256


def fleet_address(i: int, net: int = 200) -> str:
    """Loopback address of fleet device ``i`` (0-based)."""
    if not 0 <= i < MAX_DEVICES:
        raise ValueError(f"fleet device index {i} out of range 0..{MAX_DEVICES - 1}")
    return f"127.{net}.{i // 250}.{i % 250 + 1}"


def _device(i: int, ifaces: int, rng: random.Random, net: int) -> dict[str, Any]:
    names = ["GigabitEthernet0/0/1", "GigabitEthernet0/0/2", "GigabitEthernet0/0/3",
             "Vlanif10"] + [f"GigabitEthernet0/1/{k}" for k in range(1, 64)]
    interfaces = []
    for k in range(ifaces):
        speed = 100 if names[k].startswith("Vlanif") else 1000
        interfaces.append({
            "ifindex": k + 1, "name": names[k], "speed_mbps": speed,
            "in_bps": round(rng.uniform(0.5e6, 0.3 * speed * 1e6)),
            "out_bps": round(rng.uniform(0.5e6, 0.3 * speed * 1e6)),
        })
    return {"id": i + 1, "site": f"FLEET-{i + 1:05d}", "address": fleet_address(i, net),
            "sys_name": f"fleet-{i + 1:05d}", "sys_descr": "Huawei AR651 (VRP V300R019)",
            "interfaces": interfaces}


def fleet_plans(devices: int, port: int, shards: int = 1, ifaces: int = 4,
                community: str = "public", net: int = 200, seed: int = 1) -> list[dict[str, Any]]:
    """``shards`` plans (JSON-ready dicts), one per simulator process, ``devices`` in all.

    Device ``i`` goes to shard ``i % shards``; inside a shard the devices form a binary tree
    (ifIndex 1 is the uplink, 2 and 3 the downlinks) rooted at the shard's first device, so
    every device is reachable from that shard's core.
    """
    if devices < 1:
        raise ValueError("a fleet needs at least one device")
    if not 3 <= ifaces <= 67:
        raise ValueError("ifaces must be 3..67 (uplink + two downlinks)")
    rng = random.Random(seed)
    devs = [_device(i, ifaces, rng, net) for i in range(devices)]
    shards = max(1, min(shards, devices))
    plans: list[dict[str, Any]] = []
    for k in range(shards):
        members = devs[k::shards]
        links: list[dict[str, Any]] = []
        for j in range(1, len(members)):
            parent = members[(j - 1) // 2]
            links.append({"id": len(links) + 1, "a_device": members[j]["id"], "a_ifindex": 1,
                          "z_device": parent["id"], "z_ifindex": 2 + (j - 1) % 2})
        plans.append({"port": port, "community": community, "core_device": members[0]["id"],
                      "devices": members, "links": links})
    return plans

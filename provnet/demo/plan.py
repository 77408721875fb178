"""The simulator's plan (see ``provnet.simulator``) derived from the inventory.

Traffic is synthetic: each commune link gets a seeded mean download/upload; PoP and core
ports carry the sums of what hangs below them, so the numbers add up across the network.
"""

from __future__ import annotations

import random
from collections import defaultdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from provnet.inventory import model, queries

SYS_DESCR = {
    "huawei_vrp": "Huawei Versatile Routing Platform Software VRP (R) software, Version 8.180",
    "cisco_ios": "Cisco IOS XE Software, Version 17.09.04a, RELEASE SOFTWARE (fc3)",
}


def _rates(links: list[queries.LinkRecord]) -> dict[tuple[int, int], tuple[float, float]]:
    """(device, ifindex) -> (in_bps, out_bps) for every linked interface."""
    rates: dict[tuple[int, int], tuple[float, float]] = {}
    down_at: dict[int, float] = defaultdict(float)  # traffic flowing down into a device
    up_at: dict[int, float] = defaultdict(float)
    # leaves first: links whose A end has no links below it
    has_below = {r.z_device_id for r in links}
    order = sorted(links, key=lambda r: r.a_device_id in has_below)
    for r in order:
        rng = random.Random(r.id * 7919)
        if r.a_device_id in has_below:
            down, up = down_at[r.a_device_id], up_at[r.a_device_id]
        else:
            down = rng.uniform(0.04, 0.45) * r.capacity_mbps * 1e6
            up = down * rng.uniform(0.15, 0.5)
        down = min(down, 0.9 * r.capacity_mbps * 1e6)
        up = min(up, 0.9 * r.capacity_mbps * 1e6)
        rates[(r.a_device_id, r.a_ifindex)] = (down, up)
        rates[(r.z_device_id, r.z_ifindex)] = (up, down)
        down_at[r.z_device_id] += down
        up_at[r.z_device_id] += up
    return rates


def build_plan(s: Session, port: int, community: str) -> dict[str, Any]:
    """A JSON-ready plan: every device with an SNMP profile, its interfaces and links."""
    links = queries.links(s)
    rates = _rates(links)
    link_of = {(r.a_device_id, r.a_ifindex): r.id for r in links}
    link_of.update({(r.z_device_id, r.z_ifindex): r.id for r in links})
    topo = queries.topology(s)
    devices = []
    for dev in s.scalars(select(model.Device).where(model.Device.snmp_profile.is_not(None))
                         .order_by(model.Device.id)):
        ifaces = []
        numbered = [(i.ifindex, i) for i in dev.interfaces if i.ifindex is not None]
        for idx, i in sorted(numbered, key=lambda p: p[0]):
            speed = i.speed_mbps or 1000
            idle = (0.02 * speed * 1e6, 0.01 * speed * 1e6)
            in_bps, out_bps = rates.get((dev.id, idx), idle)
            ifaces.append({"ifindex": idx, "name": i.name, "speed_mbps": speed,
                           "in_bps": round(in_bps, 1), "out_bps": round(out_bps, 1),
                           "link": link_of.get((dev.id, idx)),
                           "alias": i.description or ""})
        devices.append({"id": dev.id, "site": dev.site.code, "address": dev.mgmt_address,
                        "sys_name": dev.hostname,
                        "sys_descr": SYS_DESCR.get(dev.platform, dev.platform),
                        "interfaces": ifaces})
    return {
        "port": port, "community": community, "core_device": topo.core, "devices": devices,
        "links": [{"id": r.id, "a_device": r.a_device_id, "a_ifindex": r.a_ifindex,
                   "z_device": r.z_device_id, "z_ifindex": r.z_ifindex} for r in links],
    }

"""A small example plan: core, two PoPs, four commune routers (one dual-homed).

Used by the tests and handy as a format reference::

    CORE (1) --l1-- POP-A (2) --l3-- C1 (11)     POP-A --l4-- C2 (12)
         \\--l2-- POP-B (3) --l6-- C4 (14)      C3 (13) --l5-- POP-A, --l7-- POP-B
"""

from __future__ import annotations

from typing import Any

CORE, POP_A, POP_B, C1, C2, C3, C4 = 1, 2, 3, 11, 12, 13, 14


def _iface(ifindex: int, name: str, speed: int, in_bps: float, out_bps: float,
           link: int | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"ifindex": ifindex, "name": name, "speed_mbps": speed,
                           "in_bps": in_bps, "out_bps": out_bps}
    if link is not None:
        out["link"] = link
    return out


def example_plan(port: int = 1161, net: str = "127.77", community: str = "public",
                 **extra: Any) -> dict[str, Any]:
    """The plan as the seeder would write it (a JSON-ready dict); ``extra`` adds top keys."""
    devices: list[dict[str, Any]] = [
        {"id": CORE, "site": "CORE", "address": f"{net}.0.1", "sys_name": "ag-core-01",
         "sys_descr": "Huawei NE40E-X8 Version 8.180 (V800R011C00SPC607)",
         "interfaces": [_iface(1, "GigabitEthernet0/0/1", 10000, 5e7, 2e8, 1),
                        _iface(2, "GigabitEthernet0/0/2", 10000, 4e7, 1.5e8, 2)]},
        {"id": POP_A, "site": "POP-A", "address": f"{net}.1.1", "sys_name": "ag-pop-a",
         "sys_descr": "Huawei NE20E-S2F", "interfaces": [
             _iface(1, "GE0/0/0", 10000, 2e8, 5e7, 1), _iface(2, "GE0/0/1", 1000, 1e6, 8e6, 3),
             _iface(3, "GE0/0/2", 1000, 1e6, 8e6, 4), _iface(4, "GE0/0/3", 1000, 1e6, 8e6, 5)]},
        {"id": POP_B, "site": "POP-B", "address": f"{net}.2.1", "sys_name": "ag-pop-b",
         "sys_descr": "Cisco IOS XE Software, ASR920", "interfaces": [
             _iface(1, "Te0/0/0", 10000, 1.5e8, 4e7, 2), _iface(2, "Gi0/0/1", 1000, 1e6, 8e6, 6),
             _iface(3, "Gi0/0/2", 1000, 1e6, 8e6, 7)]},
    ]
    communes = [("C1", C1, [3]), ("C2", C2, [4]), ("C3", C3, [5, 7]), ("C4", C4, [6])]
    for n, (site, dev_id, uplinks) in enumerate(communes, start=1):
        ifaces = [_iface(j, f"GigabitEthernet0/0/{j}", 1000, 8e6, 1e6, link)
                  for j, link in enumerate(uplinks, start=1)]
        ifaces.append(_iface(10, "Vlanif10", 100, 5e5, 4e6))
        devices.append({"id": dev_id, "site": site, "address": f"{net}.10.{n}",
                        "sys_name": f"ag-{site.lower()}", "sys_descr": "ZTE ZXR10 2900E",
                        "interfaces": ifaces})
    links = [(1, POP_A, 1, CORE, 1), (2, POP_B, 1, CORE, 2), (3, C1, 1, POP_A, 2),
             (4, C2, 1, POP_A, 3), (5, C3, 1, POP_A, 4), (6, C4, 1, POP_B, 2),
             (7, C3, 2, POP_B, 3)]
    return {"port": port, "community": community, "core_device": CORE, "devices": devices,
            "links": [dict(zip(("id", "a_device", "a_ifindex", "z_device", "z_ifindex"), lk,
                               strict=True)) for lk in links], **extra}


def synthetic_plan(pops: int = 11, communes_per_pop: int = 14, port: int = 1161,
                   net: str = "127.88") -> dict[str, Any]:
    """A province-sized star (core, PoPs, single-homed communes) for load measurements."""
    core: dict[str, Any] = {"id": 1, "site": "CORE", "address": f"{net}.0.1",
                            "sys_name": "core", "sys_descr": "Huawei NE40E", "interfaces": []}
    devices: list[dict[str, Any]] = [core]
    links: list[dict[str, Any]] = []

    def link(a: int, a_if: int, z: int, z_if: int) -> int:
        links.append({"id": len(links) + 1, "a_device": a, "a_ifindex": a_if, "z_device": z,
                      "z_ifindex": z_if})
        return len(links)

    for p in range(pops):
        pop_id = 100 + p
        core["interfaces"].append(_iface(p + 1, f"GE0/0/{p + 1}", 10000, 5e7, 2e8,
                                         link(pop_id, 1, 1, p + 1)))
        pop_ifaces = [_iface(1, "GE0/0/0", 10000, 2e8, 5e7, links[-1]["id"])]
        for c in range(communes_per_pop):
            dev_id = 1000 + p * 100 + c
            lk = link(dev_id, 1, pop_id, c + 2)
            pop_ifaces.append(_iface(c + 2, f"GE0/1/{c}", 1000, 1e6, 8e6, lk))
            devices.append({"id": dev_id, "site": f"C{p}-{c}", "address": f"{net}.{10 + p}.{c + 1}",
                            "sys_name": f"c{p}-{c}", "sys_descr": "ZTE ZXR10 2900E",
                            "interfaces": [_iface(1, "GE0/0/1", 1000, 8e6, 1e6, lk),
                                           _iface(10, "Vlanif10", 100, 5e5, 4e6)]})
        devices.append({"id": pop_id, "site": f"POP{p}", "address": f"{net}.1.{p + 1}",
                        "sys_name": f"pop{p}", "sys_descr": "Huawei NE20E",
                        "interfaces": pop_ifaces})
    return {"port": port, "community": "public", "core_device": 1, "devices": devices,
            "links": links}

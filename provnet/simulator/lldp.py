"""LLDP-MIB rows of a simulated router, from the plan's links (static, so cached per device).

For each link end on the device: ``lldpLocPortTable`` (port number = ifIndex, port id subtype
interfaceName = the ifName), and one ``lldpRemTable`` row (index ``0.ifIndex.linkId``) naming
the far end: chassis id and sysName = the other device's sysName, port id (interfaceName) =
its ifName; ``lldpRemManAddrTable`` gives its management (IPv4) address, which discovery can
follow hop by hop from the core.
"""

from __future__ import annotations

import ipaddress

from provnet.pollers import oids
from provnet.simulator.mib import Kind, Oid, Value
from provnet.simulator.plan import Plan, PlanDevice

INTERFACE_NAME = 5  # LldpPortIdSubtype / chassis "local" is 7
CHASSIS_LOCAL = 7
IPV4 = 1  # AddressFamilyNumbers
IF_INDEX_SUBTYPE = 2  # lldpRemManAddrIfSubtype ifIndex


def lldp_rows(dev: PlanDevice, plan: Plan) -> list[tuple[Oid, Value]]:
    """The device's static LLDP-MIB varbinds (unsorted)."""
    by_id = {d.id: d for d in plan.devices}
    names = {d.id: {f.ifindex: f.name for f in d.interfaces} for d in plan.devices}
    rows: list[tuple[Oid, Value]] = []
    loc, rem, man = oids.LLDP_LOC_PORT, oids.LLDP_REM, oids.LLDP_REM_MAN_ADDR
    for link in plan.links:
        for here, port, there, far_port in ((link.a_device, link.a_ifindex, link.z_device,
                                             link.z_ifindex),
                                            (link.z_device, link.z_ifindex, link.a_device,
                                             link.a_ifindex)):
            far = by_id.get(there)
            if here != dev.id or far is None:
                continue
            local = names[dev.id].get(port, str(port)).encode()
            remote = names[there].get(far_port, str(far_port)).encode()
            rows += [((*loc, 2, port), (Kind.INTEGER, INTERFACE_NAME)),
                     ((*loc, 3, port), (Kind.OCTETS, local)),
                     ((*loc, 4, port), (Kind.OCTETS, local))]
            idx = (0, port, link.id)
            rows += [((*rem, 4, *idx), (Kind.INTEGER, CHASSIS_LOCAL)),
                     ((*rem, 5, *idx), (Kind.OCTETS, far.sys_name.encode())),
                     ((*rem, 6, *idx), (Kind.INTEGER, INTERFACE_NAME)),
                     ((*rem, 7, *idx), (Kind.OCTETS, remote)),
                     ((*rem, 8, *idx), (Kind.OCTETS, remote)),
                     ((*rem, 9, *idx), (Kind.OCTETS, far.sys_name.encode()))]
            try:
                addr = ipaddress.IPv4Address(far.address).packed
            except ValueError:
                continue
            man_idx = (*idx, IPV4, len(addr), *addr)
            rows += [((*man, 3, *man_idx), (Kind.INTEGER, IF_INDEX_SUBTYPE)),
                     ((*man, 4, *man_idx), (Kind.INTEGER, 0))]
    return list(dict(rows).items())  # a port on two links keeps one lldpLocPortTable row

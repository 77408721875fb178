"""Numeric OIDs served by the simulator (SNMPv2-MIB system, IF-MIB ifTable/ifXTable).

Values leave the model as ``(Kind, python value)`` pairs; only the agent turns them into
SNMP types, so the model stays free of pysnmp.
"""

from __future__ import annotations

from enum import IntEnum

from provnet.pollers import oids

Oid = tuple[int, ...]


class Kind(IntEnum):
    """SNMP value syntax of a served object."""

    INTEGER = 1
    OCTETS = 2
    OID = 3
    COUNTER32 = 4
    GAUGE32 = 5
    TIMETICKS = 6
    COUNTER64 = 7


Value = tuple[Kind, int | bytes | Oid]

SYSTEM: Oid = oids.SYSTEM
SYS_DESCR: Oid = (*SYSTEM, 1, 0)
SYS_OBJECT_ID: Oid = (*SYSTEM, 2, 0)
SYS_UPTIME: Oid = (*SYSTEM, 3, 0)
SYS_CONTACT: Oid = (*SYSTEM, 4, 0)
SYS_NAME: Oid = (*SYSTEM, 5, 0)
SYS_LOCATION: Oid = (*SYSTEM, 6, 0)
SYS_SERVICES: Oid = (*SYSTEM, 7, 0)
IF_NUMBER: Oid = oids.IF_NUMBER
IF_TABLE_LAST_CHANGE: Oid = oids.IF_TABLE_LAST_CHANGE
IF_ENTRY: Oid = oids.IF_ENTRY
IFX_ENTRY: Oid = oids.IFX_ENTRY

# ifTable columns (sub-identifiers under IF_ENTRY)
IF_INDEX, IF_DESCR, IF_TYPE, IF_MTU, IF_SPEED, IF_PHYS_ADDRESS = 1, 2, 3, 4, 5, 6
IF_ADMIN_STATUS, IF_OPER_STATUS, IF_LAST_CHANGE = 7, 8, 9
IF_IN_OCTETS, IF_IN_UCAST, IF_IN_DISCARDS, IF_IN_ERRORS = 10, 11, 13, 14
IF_OUT_OCTETS, IF_OUT_UCAST, IF_OUT_DISCARDS, IF_OUT_ERRORS = 16, 17, 19, 20
# ifXTable columns (sub-identifiers under IFX_ENTRY)
IFX_NAME, IFX_HC_IN_OCTETS, IFX_HC_IN_UCAST, IFX_HC_OUT_OCTETS, IFX_HC_OUT_UCAST = 1, 6, 7, 10, 11
IFX_LINK_UP_DOWN_TRAP, IFX_HIGH_SPEED, IFX_ALIAS, IFX_DISCONTINUITY = 14, 15, 18, 19

IF_ADMIN_STATUS_OID: Oid = (*IF_ENTRY, IF_ADMIN_STATUS)

ETHERNET_CSMACD = 6
UP, DOWN = 1, 2
WRAP32 = 2**32
WRAP64 = 2**64
GAUGE_MAX = 2**32 - 1

_VENDOR_OIDS: tuple[tuple[str, Oid], ...] = (
    ("huawei", (1, 3, 6, 1, 4, 1, 2011, 2, 62)),
    ("cisco", (1, 3, 6, 1, 4, 1, 9, 1, 1)),
    ("juniper", (1, 3, 6, 1, 4, 1, 2636, 1, 1, 1, 2)),
    ("zte", (1, 3, 6, 1, 4, 1, 3902, 3)),
    ("mikrotik", (1, 3, 6, 1, 4, 1, 14988, 1)),
    ("nokia", (1, 3, 6, 1, 4, 1, 6527, 1, 3)),
)
NET_SNMP_LINUX: Oid = (1, 3, 6, 1, 4, 1, 8072, 3, 2, 10)


def vendor_object_id(sys_descr: str) -> Oid:
    """A plausible sysObjectID for a description (enterprise subtree of its vendor)."""
    text = sys_descr.lower()
    for word, oid in _VENDOR_OIDS:
        if word in text:
            return oid
    return NET_SNMP_LINUX


IF_COLUMNS = (IF_INDEX, IF_DESCR, IF_TYPE, IF_MTU, IF_SPEED, IF_PHYS_ADDRESS, IF_ADMIN_STATUS,
              IF_OPER_STATUS, IF_LAST_CHANGE, IF_IN_OCTETS, IF_IN_UCAST, IF_IN_DISCARDS,
              IF_IN_ERRORS, IF_OUT_OCTETS, IF_OUT_UCAST, IF_OUT_DISCARDS, IF_OUT_ERRORS)
IFX_COLUMNS = (IFX_NAME, IFX_HC_IN_OCTETS, IFX_HC_IN_UCAST, IFX_HC_OUT_OCTETS, IFX_HC_OUT_UCAST,
               IFX_LINK_UP_DOWN_TRAP, IFX_HIGH_SPEED, IFX_ALIAS, IFX_DISCONTINUITY)

OBJECT_TYPES: frozenset[Oid] = frozenset(
    {s[:-1] for s in (SYS_DESCR, SYS_OBJECT_ID, SYS_UPTIME, SYS_CONTACT, SYS_NAME, SYS_LOCATION,
                      SYS_SERVICES, IF_NUMBER, IF_TABLE_LAST_CHANGE)}
    | {(*IF_ENTRY, c) for c in IF_COLUMNS}
    | {(*IFX_ENTRY, c) for c in IFX_COLUMNS}
)
"""Every object type served (scalars without ``.0``, table columns): GET of a missing
instance under one of these is noSuchInstance, anything else noSuchObject."""

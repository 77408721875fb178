"""The standard OIDs provnet uses in more than one place (poller, trap receiver, simulator).

Numeric, because Debian ships no MIB files. Vendor OIDs live in the poll group files
(``config/profiles/groups/*.yaml``) and in the simulator's vendor tables.
"""

from __future__ import annotations

from typing import Final

Oid = tuple[int, ...]

# --- SNMPv2-MIB system group (1.3.6.1.2.1.1) --------------------------------------------------
SYSTEM: Final[Oid] = (1, 3, 6, 1, 2, 1, 1)
SYS_DESCR: Final[Oid] = (*SYSTEM, 1, 0)
SYS_OBJECT_ID: Final[Oid] = (*SYSTEM, 2, 0)
SYS_UPTIME: Final[Oid] = (*SYSTEM, 3, 0)
SYS_NAME: Final[Oid] = (*SYSTEM, 5, 0)

# --- IF-MIB --------------------------------------------------------------------------------------
IF_NUMBER: Final[Oid] = (1, 3, 6, 1, 2, 1, 2, 1, 0)
IF_ENTRY: Final[Oid] = (1, 3, 6, 1, 2, 1, 2, 2, 1)  # ifTable
IF_INDEX: Final[Oid] = (*IF_ENTRY, 1)
IF_DESCR: Final[Oid] = (*IF_ENTRY, 2)
IF_TYPE: Final[Oid] = (*IF_ENTRY, 3)
IF_ADMIN_STATUS: Final[Oid] = (*IF_ENTRY, 7)
IF_OPER_STATUS: Final[Oid] = (*IF_ENTRY, 8)
IF_IN_OCTETS: Final[Oid] = (*IF_ENTRY, 10)
IF_IN_DISCARDS: Final[Oid] = (*IF_ENTRY, 13)
IF_IN_ERRORS: Final[Oid] = (*IF_ENTRY, 14)
IF_OUT_OCTETS: Final[Oid] = (*IF_ENTRY, 16)
IF_OUT_DISCARDS: Final[Oid] = (*IF_ENTRY, 19)
IF_OUT_ERRORS: Final[Oid] = (*IF_ENTRY, 20)
IFX_ENTRY: Final[Oid] = (1, 3, 6, 1, 2, 1, 31, 1, 1, 1)  # ifXTable
IF_NAME: Final[Oid] = (*IFX_ENTRY, 1)
IF_HC_IN_OCTETS: Final[Oid] = (*IFX_ENTRY, 6)
IF_HC_OUT_OCTETS: Final[Oid] = (*IFX_ENTRY, 10)
IF_HIGH_SPEED: Final[Oid] = (*IFX_ENTRY, 15)
IF_ALIAS: Final[Oid] = (*IFX_ENTRY, 18)
IF_COUNTER_DISCONTINUITY: Final[Oid] = (*IFX_ENTRY, 19)
#: ifTableLastChange.0: sysUpTime at the last creation/deletion of an ifTable row.
IF_TABLE_LAST_CHANGE: Final[Oid] = (1, 3, 6, 1, 2, 1, 31, 1, 5, 0)

# --- notifications (SNMPv2-MIB snmpTrapOID.0 and the generic traps) ---------------------------
SNMP_TRAP_OID: Final[Oid] = (1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0)
SNMP_TRAPS: Final[Oid] = (1, 3, 6, 1, 6, 3, 1, 1, 5)
COLD_START: Final[Oid] = (*SNMP_TRAPS, 1)
WARM_START: Final[Oid] = (*SNMP_TRAPS, 2)
LINK_DOWN: Final[Oid] = (*SNMP_TRAPS, 3)
LINK_UP: Final[Oid] = (*SNMP_TRAPS, 4)


def dotted(oid: Oid) -> str:
    """``(1, 3, 6, ...)`` -> ``"1.3.6..."``."""
    return ".".join(map(str, oid))

# --- LLDP-MIB (IEEE 802.1AB, 1.0.8802.1.1.2) and CISCO-CDP-MIB: neighbour discovery ------------
#: lldpLocPortTable entry: .2 lldpLocPortIdSubtype, .3 lldpLocPortId, .4 lldpLocPortDesc;
#: index lldpLocPortNum.
LLDP_LOC_PORT: Final[Oid] = (1, 0, 8802, 1, 1, 2, 1, 3, 7, 1)
#: lldpRemTable entry: .4/.5 chassis id subtype/id, .6/.7 port id subtype/id, .8 port desc,
#: .9 sysName; index lldpRemTimeMark.lldpRemLocalPortNum.lldpRemIndex.
LLDP_REM: Final[Oid] = (1, 0, 8802, 1, 1, 2, 1, 4, 1, 1)
#: lldpRemManAddrTable entry: .3 lldpRemManAddrIfSubtype, .4 IfId; index the lldpRemTable
#: index, then lldpRemManAddrSubtype (1 = IPv4) and lldpRemManAddr (length-prefixed octets).
LLDP_REM_MAN_ADDR: Final[Oid] = (1, 0, 8802, 1, 1, 2, 1, 4, 2, 1)
#: cdpCacheTable entry: .3 address type (1 = ip), .4 address, .6 cdpCacheDeviceId,
#: .7 cdpCacheDevicePort; index cdpCacheIfIndex.cdpCacheDeviceIndex.
CDP_CACHE: Final[Oid] = (1, 3, 6, 1, 4, 1, 9, 9, 23, 1, 2, 1, 1)

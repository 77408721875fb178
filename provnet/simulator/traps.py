"""SNMPv2c traps from simulated devices: linkDown/linkUp on oper changes, coldStart on boot.

Hooked into :attr:`provnet.simulator.model.Network.on_event`. Each trap leaves from the
device's own loopback address (a socket bound to it), so a receiver maps source -> device
exactly as it would for a real router.
"""

from __future__ import annotations

import logging
import socket
import time
from typing import Any

from pyasn1.codec.ber import encoder
from pysnmp.proto import api, rfc1902

from provnet.pollers import oids
from provnet.simulator.device import Device
from provnet.simulator.model import Network

log = logging.getLogger(__name__)

V2C: Any = api.PROTOCOL_MODULES[api.SNMP_VERSION_2C]

SYS_UPTIME_0 = oids.SYS_UPTIME
SNMP_TRAP_OID_0 = oids.SNMP_TRAP_OID
IF_INDEX = oids.IF_INDEX
IF_ADMIN_STATUS = oids.IF_ADMIN_STATUS
IF_OPER_STATUS = oids.IF_OPER_STATUS
TRAP_OIDS = {"cold-start": oids.COLD_START, "link-down": oids.LINK_DOWN, "link-up": oids.LINK_UP}


def encode_trap(community: str, request_id: int, uptime_ticks: int, trap_oid: tuple[int, ...],
                ifindex: int | None = None, admin_up: bool = True, oper_up: bool = True
                ) -> bytes:
    """An SNMPv2-Trap-PDU message (IF-MIB linkDown/linkUp varbinds when ``ifindex`` is set)."""
    varbinds: list[tuple[tuple[int, ...], Any]] = [
        (SYS_UPTIME_0, rfc1902.TimeTicks(uptime_ticks)),
        (SNMP_TRAP_OID_0, rfc1902.ObjectIdentifier(trap_oid)),
    ]
    if ifindex is not None:
        varbinds += [
            ((*IF_INDEX, ifindex), rfc1902.Integer32(ifindex)),
            ((*IF_ADMIN_STATUS, ifindex), rfc1902.Integer32(1 if admin_up else 2)),
            ((*IF_OPER_STATUS, ifindex), rfc1902.Integer32(1 if oper_up else 2)),
        ]
    pdu = V2C.TrapPDU()
    V2C.apiTrapPDU.set_defaults(pdu)
    V2C.apiTrapPDU.set_request_id(pdu, request_id)
    V2C.apiTrapPDU.set_varbinds(pdu, varbinds)
    msg = V2C.Message()
    V2C.apiMessage.set_defaults(msg)
    V2C.apiMessage.set_community(msg, community)
    V2C.apiMessage.set_pdu(msg, pdu)
    return bytes(encoder.encode(msg))


class TrapSender:
    """Network event hook that sends one v2c trap per event to ``receiver``."""

    def __init__(self, network: Network, receiver: tuple[str, int], community: str = "public"
                 ) -> None:
        self.network = network
        self.receiver = receiver
        self.community = community
        self.sent = 0
        self.failed = 0
        self._request_id = 0

    def install(self) -> None:
        """Become the network's ``on_event`` hook."""
        self.network.on_event = self

    def __call__(self, kind: str, dev: Device, ifindex: int | None) -> None:
        trap_oid = TRAP_OIDS.get(kind)
        if trap_oid is None:
            return
        u = self.network.model_time(time.monotonic())
        admin_up = oper_up = True
        if ifindex is not None:
            iface = dev.ifaces[ifindex]
            admin_up, oper_up = iface.admin_up, iface.oper_up
        self._request_id = self._request_id % (2**31 - 1) + 1
        packet = encode_trap(self.community, self._request_id, dev.ticks(u), trap_oid, ifindex,
                             admin_up, oper_up)
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
                sock.bind((dev.address, 0))
                sock.sendto(packet, self.receiver)
        except OSError as exc:
            self.failed += 1
            log.warning("trap %s from %s to %s:%d failed: %s", kind, dev.address,
                        *self.receiver, exc)
            return
        self.sent += 1

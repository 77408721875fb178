"""SNMPv2c agents for the simulated network: the only simulator module that imports pysnmp.

Why not snmpsim: it serves recorded data files, one per community or (with a patch) per
address, so it cannot give one *coherent* network: both ends of a link going down together,
a commune becoming unreachable when its PoP uplink breaks, a dual-homed site staying
reachable over its second uplink, counters that freeze while a link is down. It also
answers only ~25 devices/s and caps GETBULK at 64 varbinds. This responder reads live
values from :class:`~provnet.simulator.model.Network` instead. GET/GETNEXT/GETBULK in plain
BER go through the hand-written codec of :mod:`provnet.simulator.ber` (byte-identical to
what pyasn1 writes, checked in ``tests/unit/test_sim_ber.py``); SET and anything unusual
go through pysnmp's protocol layer and pyasn1.

Behaviour, like real agents: SNMPv2c only (v1 and v3 requests are dropped); a wrong
community gets no answer; an unreachable or powered-off device gets no answer; GET,
GETNEXT, GETBULK and SET (of ifAdminStatus only, atomically; other served objects are
notWritable, unknown ones noCreation). GETBULK answers at most ``plan.max_bulk_varbinds``
varbinds (default 1000) and stops early so the message stays under
``plan.max_message_bytes`` (default 60,000, one UDP datagram) or once every repeater hit
endOfMibView; a GET/GETNEXT whose answer is too large gets ``tooBig`` with no varbinds.

CPU: encoded OIDs and whole varbinds of static objects are cached per device; dynamic values
are encoded per answer. Measured on this 2-core machine (``python
bench/simulator_cpu.py``): ~0.21 ms CPU for a 76-varbind GETBULK, ~0.04 ms for an
11-varbind one, ~0.10 ms per answer over UDP (~7,000 answers/s per core); with pyasn1 it was
2.1 ms, 0.75 ms and ~1,000 answers/s. ``Responder.stats`` counts it live.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import asdict, dataclass
from typing import Any, cast

from pyasn1.codec.ber import decoder, encoder
from pyasn1.error import PyAsn1Error
from pysnmp.proto import api

from provnet.pollers.fastv2c_ber import encode_oid
from provnet.simulator import ber, mib
from provnet.simulator.device import Device
from provnet.simulator.mib import Kind, Oid, Value
from provnet.simulator.model import Network

log = logging.getLogger(__name__)

V2C: Any = api.PROTOCOL_MODULES[api.SNMP_VERSION_2C]
_KW: dict[str, bool] = {"verifyConstraints": False, "matchTags": False,
                        "matchConstraints": False}
_READ_TAGS: dict[Any, int] = {V2C.GetRequestPDU.tagSet: ber.GET_REQUEST,
                              V2C.GetNextRequestPDU.tagSet: ber.GET_NEXT_REQUEST,
                              V2C.GetBulkRequestPDU.tagSet: ber.GET_BULK_REQUEST}
_TAG_SET = V2C.SetRequestPDU.tagSet
_TAG_INTEGER = V2C.Integer.tagSet
TOO_BIG, WRONG_TYPE, WRONG_VALUE, NO_CREATION, NOT_WRITABLE = 1, 7, 10, 11, 17
UDP_MAX = 65507


@dataclass(slots=True)
class AgentStats:
    """Counters of the responder; ``cpu_s`` is process CPU spent answering."""

    requests: int = 0
    responses: int = 0
    varbinds: int = 0
    unreachable: int = 0
    bad_community: int = 0
    malformed: int = 0
    unsupported: int = 0
    errors: int = 0
    cpu_s: float = 0.0

    def as_dict(self) -> dict[str, float]:
        """Plain dict plus derived CPU per response in ms."""
        out: dict[str, float] = asdict(self)
        out["cpu_ms_per_response"] = round(1000.0 * self.cpu_s / self.responses, 3) \
            if self.responses else 0.0
        return out


def _arc_len(arc: int) -> int:
    return max(1, (arc.bit_length() + 6) // 7)


def _size_bound(oid: Oid, value: Value | None) -> int:
    """Upper bound of a varbind's encoded size (for GETBULK truncation only)."""
    oid_len = _arc_len(oid[0] * 40 + oid[1]) + sum(_arc_len(a) for a in oid[2:]) + 4
    if value is None:
        return 8 + oid_len + 2
    kind, raw = value
    if kind is Kind.OCTETS:
        assert isinstance(raw, bytes)
        val_len = len(raw) + 4
    elif kind is Kind.OID:
        assert isinstance(raw, tuple)
        val_len = _arc_len(raw[0] * 40 + raw[1]) + sum(_arc_len(a) for a in raw[2:]) + 4
    else:
        val_len = 11
    return 4 + oid_len + val_len


def _end_of_mib(oid: Oid) -> bytes:
    return ber.encode_varbind(encode_oid(oid), ber.END_OF_MIB_VIEW)


class _Encoded:
    """Per-device encodings: OID TLVs, whole varbinds of static objects, size bounds."""

    __slots__ = ("names", "sizes", "vbs")

    def __init__(self, n: int) -> None:
        self.names: list[bytes | None] = [None] * n
        self.vbs: list[bytes | None] = [None] * n
        self.sizes: list[int] = [0] * n


class Responder:
    """Turns request datagrams into response datagrams for the devices of a network."""

    def __init__(self, network: Network) -> None:
        plan = network.plan
        self.network = network
        self.stats = AgentStats()
        self._read = plan.community.encode()
        self._write = plan.set_community.encode()
        self._max_vbs = plan.max_bulk_varbinds
        self._max_bytes = min(plan.max_message_bytes, UDP_MAX)
        self._enc: dict[int, _Encoded] = {}

    def on_datagram(self, device_id: int, data: bytes) -> bytes | None:
        """Answer one datagram for one device (None: stay silent)."""
        started = time.process_time()
        self.stats.requests += 1
        try:
            if not self.network.answers(device_id):
                self.stats.unreachable += 1
                return None
            rsp = self.handle(self.network.devices[device_id], data, time.monotonic())
            if rsp is not None:
                self.stats.responses += 1
            return rsp
        except Exception as exc:  # never let one bad request kill the endpoint
            self.stats.errors += 1
            log.error("device %s: request failed: %s: %.200s", device_id,
                      type(exc).__name__, exc)
            return None
        finally:
            self.stats.cpu_s += time.process_time() - started

    def handle(self, dev: Device, data: bytes, now: float) -> bytes | None:
        """Decode, check community, dispatch on PDU type, encode."""
        req = ber.decode_request(data)
        if req is None:  # SET, v1, v3 or an unusual encoding: pyasn1 decides
            return self.handle_with_pyasn1(dev, data, now)
        if req.community != self._read:
            self.stats.bad_community += 1
            return None
        return self._answer(dev, req, now)

    def handle_with_pyasn1(self, dev: Device, data: bytes, now: float) -> bytes | None:
        """The general path: pyasn1 decodes anything (and SET is answered here)."""
        try:  # v1 messages share the v2c layout; v3 and v1 traps fail to decode here
            msg, _ = decoder.decode(data, asn1Spec=V2C.Message())
        except (PyAsn1Error, ValueError, TypeError):
            self.stats.malformed += 1
            return None
        if int(V2C.apiMessage.get_version(msg)) != api.SNMP_VERSION_2C:
            self.stats.unsupported += 1
            return None
        community = V2C.apiMessage.get_community(msg).asOctets()
        pdu = V2C.apiMessage.get_pdu(msg)
        tag = pdu.tagSet
        if community != (self._write if tag == _TAG_SET else self._read):
            self.stats.bad_community += 1
            return None
        if tag == _TAG_SET:
            rsp_msg = V2C.apiMessage.get_response(msg)
            return self._set(dev, pdu, rsp_msg, V2C.apiMessage.get_pdu(rsp_msg), now)
        pdu_type = _READ_TAGS.get(tag)
        if pdu_type is None:
            self.stats.unsupported += 1
            return None
        oids = [tuple(vb[0].asTuple()) for vb in pdu.getComponentByPosition(3)]
        return self._answer(dev, ber.ReadRequest(
            pdu_type, community, int(pdu.getComponentByPosition(0)),
            int(pdu.getComponentByPosition(1)), int(pdu.getComponentByPosition(2)), oids), now)

    def _answer(self, dev: Device, req: ber.ReadRequest, now: float) -> bytes:
        u = self.network.model_time(now)
        if req.pdu_type == ber.GET_REQUEST:
            vbs = [self._get(dev, oid, u) for oid in req.oids]
        elif req.pdu_type == ber.GET_NEXT_REQUEST:
            vbs = [self._next_sized(dev, oid, u)[0] for oid in req.oids]
        else:
            vbs = self._bulk(dev, req.oids, req.a, req.b, u)
        out = ber.encode_response(req.community, req.request_id, vbs)
        if len(out) > self._max_bytes:
            return ber.encode_response(req.community, req.request_id, [], TOO_BIG)
        self.stats.varbinds += len(vbs)
        return out

    # -- value access -------------------------------------------------------------------
    def _entry(self, dev: Device, i: int, u: float) -> bytes:
        """Encoded varbind at index ``i`` with its value at model time ``u``."""
        enc = self._enc.get(dev.id)
        if enc is None:
            enc = self._enc[dev.id] = _Encoded(len(dev.oids))
        vb = enc.vbs[i]
        if vb is not None:
            return vb
        value = dev.read(i, u)
        name = enc.names[i]
        if name is None:
            name = enc.names[i] = encode_oid(dev.oids[i])
            enc.sizes[i] = _size_bound(dev.oids[i], value)
        vb = ber.encode_varbind(name, ber.encode_value(*value))
        if dev.static[i] is not None:
            enc.vbs[i] = vb
        return vb

    def _get(self, dev: Device, oid: Oid, u: float) -> bytes:
        i = dev.lookup(oid)
        if i is not None:
            return self._entry(dev, i, u)
        known = any(oid[:k] in mib.OBJECT_TYPES for k in range(7, len(oid)))
        return ber.encode_varbind(encode_oid(oid),
                                  ber.NO_SUCH_INSTANCE if known else ber.NO_SUCH_OBJECT)

    def _next_sized(self, dev: Device, oid: Oid, u: float) -> tuple[bytes, int]:
        i = dev.after(oid)
        if i >= len(dev.oids):
            return _end_of_mib(oid), _size_bound(oid, None)
        return self._entry(dev, i, u), self._enc[dev.id].sizes[i]

    def _bulk(self, dev: Device, oids: list[Oid], non_rep: int, max_rep: int,
              u: float) -> list[bytes]:
        n = min(max(non_rep, 0), len(oids))
        firsts = [self._next_sized(dev, oid, u) for oid in oids[:n]]
        out = [vb for vb, _ in firsts]
        size = 40 + len(self._read) + sum(sz for _, sz in firsts)
        reps = oids[n:]
        if not reps or max_rep <= 0:
            return out
        total = len(dev.oids)
        pos = [dev.after(oid) for oid in reps]
        last = list(reps)
        for _ in range(max_rep):
            ended = True
            for j, p in enumerate(pos):
                if p < total:
                    vb = self._entry(dev, p, u)
                    size += self._enc[dev.id].sizes[p]
                    last[j] = dev.oids[p]
                    pos[j] = p + 1
                    ended = False
                else:
                    vb = _end_of_mib(last[j])
                    size += _size_bound(last[j], None)
                if size > self._max_bytes or len(out) >= self._max_vbs:
                    return out
                out.append(vb)
            if ended:
                break  # a whole row of endOfMibView: nothing more to say
        return out

    # -- SET ----------------------------------------------------------------------------
    def _set(self, dev: Device, pdu: Any, rsp_msg: Any, rsp_pdu: Any, now: float) -> bytes:
        """Validate every varbind first, then apply all (SNMP SET is atomic)."""
        changes: list[tuple[int, bool]] = []
        error = index = 0
        for name, value in V2C.apiPDU.get_varbinds(pdu):
            index += 1
            oid = tuple(name.asTuple())
            col = oid[:-1]
            if col == mib.IF_ADMIN_STATUS_OID and oid[-1] in dev.ifaces:
                if value.tagSet != _TAG_INTEGER:
                    error = WRONG_TYPE
                elif int(value) not in (mib.UP, mib.DOWN):
                    error = WRONG_VALUE
                else:
                    changes.append((oid[-1], int(value) == mib.UP))
                    continue
            else:
                error = NOT_WRITABLE if dev.lookup(oid) is not None else NO_CREATION
            break
        rsp_pdu.setComponentByPosition(3, pdu.getComponentByPosition(3), **_KW)
        if error:
            V2C.apiPDU.set_error_status(rsp_pdu, error)
            V2C.apiPDU.set_error_index(rsp_pdu, index)
        else:
            for ifindex, up in changes:
                change = self.network.set_admin_status(dev.id, ifindex, up, now)
                log.info("SET %s: %s", dev.plan.sys_name, change.describe())
        return bytes(encoder.encode(rsp_msg))


def encode_bulk_request(community: str, oids: list[Oid], non_repeaters: int = 0,
                        max_repetitions: int = 10, request_id: int = 1) -> bytes:
    """A GETBULK request datagram (for benchmarks; clients use their own SNMP stack)."""
    pdu = V2C.GetBulkRequestPDU()
    V2C.apiBulkPDU.set_defaults(pdu)
    V2C.apiBulkPDU.set_request_id(pdu, request_id)
    V2C.apiBulkPDU.set_non_repeaters(pdu, non_repeaters)
    V2C.apiBulkPDU.set_max_repetitions(pdu, max_repetitions)
    V2C.apiBulkPDU.set_varbinds(pdu, [(oid, V2C.null) for oid in oids])
    msg = V2C.Message()
    V2C.apiMessage.set_defaults(msg)
    V2C.apiMessage.set_community(msg, community)
    V2C.apiMessage.set_pdu(msg, pdu)
    return bytes(encoder.encode(msg))


def count_varbinds(datagram: bytes) -> int:
    """Number of varbinds in a response datagram (for benchmarks)."""
    msg, _ = decoder.decode(datagram, asn1Spec=V2C.Message())
    return len(V2C.apiMessage.get_pdu(msg).getComponentByPosition(3))


class DeviceEndpoint(asyncio.DatagramProtocol):
    """The UDP endpoint of one device address."""

    def __init__(self, responder: Responder, device_id: int) -> None:
        self.responder = responder
        self.device_id = device_id
        self.latency_s = responder.network.devices[device_id].plan.latency_s
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Keep the transport to answer on."""
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        """Answer on the same socket (source address = the device's address)."""
        rsp = self.responder.on_datagram(self.device_id, data)
        if rsp is not None and self.transport is not None:
            if self.latency_s > 0:
                asyncio.get_running_loop().call_later(self.latency_s, self._send, rsp, addr)
            else:
                self.transport.sendto(rsp, addr)

    def _send(self, rsp: bytes, addr: tuple[str | Any, int]) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.sendto(rsp, addr)

    def error_received(self, exc: Exception) -> None:
        """ICMP errors (client went away): nothing to do."""
        log.debug("udp error on device %s: %s", self.device_id, exc)


async def open_endpoints(responder: Responder, port: int) -> list[asyncio.DatagramTransport]:
    """Bind one UDP endpoint per device address, all on ``port``."""
    loop = asyncio.get_running_loop()
    transports: list[asyncio.DatagramTransport] = []
    try:
        for dev in responder.network.devices.values():
            transport, _ = await loop.create_datagram_endpoint(
                lambda d=dev.id: DeviceEndpoint(responder, d),  # type: ignore[misc]
                local_addr=(dev.address, port))
            transports.append(transport)
    except BaseException:
        for t in transports:
            t.close()
        raise
    return transports

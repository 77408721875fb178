"""Table-driven tests of the hand-written SNMPv2c BER codec, cross-checked against pyasn1."""

from __future__ import annotations

import random
from typing import Any

import pytest
from pyasn1.codec.ber import decoder, encoder
from pyasn1.type import univ
from pysnmp.proto import api, rfc1902, rfc1905

from provnet.pollers.fastv2c_ber import (
    GET_BULK_REQUEST,
    GET_REQUEST,
    decode_header,
    decode_oid_body,
    decode_varbinds,
    encode_get,
    encode_get_bulk,
    encode_oid,
)
from provnet.pollers.ifmib import END_OF_MIB, Oid, Value, VarBind
from provnet.pollers.snmp import plain_value
from provnet.pollers.transport import SnmpResponseError

V2C: Any = api.PROTOCOL_MODULES[api.SNMP_VERSION_2C]

IF_HC_IN = (1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 6, 1)

# (pyasn1 value in a Response-PDU, the plain value our decoder must return)
VALUES: list[tuple[str, Any, Value]] = [
    ("integer zero", rfc1902.Integer32(0), 0),
    ("integer positive", rfc1902.Integer32(127), 127),
    ("integer needs pad", rfc1902.Integer32(128), 128),
    ("integer negative", rfc1902.Integer32(-1), -1),
    ("integer min", rfc1902.Integer32(-(2**31)), -(2**31)),
    ("integer max", rfc1902.Integer32(2**31 - 1), 2**31 - 1),
    ("counter32 max", rfc1902.Counter32(2**32 - 1), 2**32 - 1),
    ("counter32 high bit", rfc1902.Counter32(2**31), 2**31),
    ("gauge32", rfc1902.Gauge32(10_000), 10_000),
    ("timeticks", rfc1902.TimeTicks(123_456_789), 123_456_789),
    ("counter64 max", rfc1902.Counter64(2**64 - 1), 2**64 - 1),
    ("counter64 small", rfc1902.Counter64(5), 5),
    ("unsigned32", rfc1902.Unsigned32(4_000_000_000), 4_000_000_000),
    ("octet string", rfc1902.OctetString(b"ge-0/0/1"), "ge-0/0/1"),
    ("octet string empty", rfc1902.OctetString(b""), ""),
    ("octet string vietnamese", rfc1902.OctetString("Long Xuyên".encode()), "Long Xuyên"),
    ("octet string binary", rfc1902.OctetString(b"\x00\xff\x80"), "\x00\ufffd\ufffd"),
    ("octet string long", rfc1902.OctetString(b"x" * 300), "x" * 300),
    ("ip address", rfc1902.IpAddress("10.1.2.3"), "\n\x01\x02\x03"),
    ("opaque", rfc1902.Opaque(b"\x9f\x78\x04"), "\ufffdx\x04"),
    ("oid value", rfc1902.ObjectIdentifier((1, 3, 6, 1, 4, 1, 2011, 300000)),
     "1.3.6.1.4.1.2011.300000"),
    ("null", rfc1902.Null(""), None),
    ("noSuchObject", rfc1905.noSuchObject, None),
    ("noSuchInstance", rfc1905.noSuchInstance, None),
    ("endOfMibView", rfc1905.endOfMibView, END_OF_MIB),
]

OIDS: list[Oid] = [
    (1, 3, 6, 1, 2, 1, 1, 3, 0),
    (1, 3, 6, 1, 4, 1, 2011, 5, 25, 31, 1, 1, 3, 1, 8, 16777217),
    (1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 6, 4294967295),
    (0, 0),
    (2, 999, 3),
    (1, 39, 127, 128, 16383, 16384),
]


def pyasn1_response(varbinds: list[tuple[Oid, Any]], request_id: int = 42,
                    error_status: int = 0, error_index: int = 0,
                    community: bytes = b"public") -> bytes:
    """A Response-PDU message encoded by pysnmp/pyasn1."""
    pdu = V2C.ResponsePDU()
    V2C.apiPDU.set_defaults(pdu)
    V2C.apiPDU.set_request_id(pdu, request_id)
    V2C.apiPDU.set_error_status(pdu, error_status)
    V2C.apiPDU.set_error_index(pdu, error_index)
    V2C.apiPDU.set_varbinds(pdu, varbinds)
    msg = V2C.Message()
    V2C.apiMessage.set_defaults(msg)
    V2C.apiMessage.set_community(msg, community)
    V2C.apiMessage.set_pdu(msg, pdu)
    return bytes(encoder.encode(msg))


def pyasn1_plain(value: Any) -> Value:
    """plain_value, but checking NULL and the v2 exceptions first (they subclass OctetString)."""
    if isinstance(value, rfc1905.EndOfMibView):
        return END_OF_MIB
    if isinstance(value, univ.Null):
        return None
    return plain_value(value)


def ours(packet: bytes) -> list[VarBind]:
    header = decode_header(packet)
    return decode_varbinds(packet, header.vb_start, header.vb_end)


@pytest.mark.parametrize(("case", "asn1", "expected"), VALUES, ids=[v[0] for v in VALUES])
def test_decodes_every_value_type_like_pysnmp(case: str, asn1: Any, expected: Value) -> None:
    packet = pyasn1_response([(IF_HC_IN, asn1)])
    assert ours(packet) == [(IF_HC_IN, expected)]
    theirs, _ = decoder.decode(packet, asn1Spec=V2C.Message())
    (_, their_value), = V2C.apiPDU.get_varbinds(V2C.apiMessage.get_pdu(theirs))
    assert pyasn1_plain(their_value) == expected


@pytest.mark.parametrize("oid", OIDS, ids=[".".join(map(str, o)) for o in OIDS])
def test_oid_round_trip_against_pyasn1(oid: Oid) -> None:
    ref = bytes(encoder.encode(rfc1902.ObjectName(oid)))
    assert encode_oid(oid) == ref
    assert decode_oid_body(ref[2:]) == oid


def test_header_fields_and_many_varbinds() -> None:
    varbinds = [((*IF_HC_IN[:-1], i), rfc1902.Counter64(i * 2**40)) for i in range(1, 200)]
    packet = pyasn1_response(varbinds, request_id=2**31 - 1, error_status=0,
                             community=b"provnet-demo")
    assert len(packet) > 256  # long-form lengths
    header = decode_header(packet)
    assert (header.request_id, header.error_status, header.community) == (
        2**31 - 1, 0, b"provnet-demo")
    assert ours(packet) == [(oid, int(v)) for oid, v in varbinds]


@pytest.mark.parametrize(("status", "index"), [(1, 0), (5, 2), (18, 1)])
def test_error_status_is_reported_in_the_header(status: int, index: int) -> None:
    header = decode_header(pyasn1_response([(IF_HC_IN, rfc1902.Null(""))], 7, status, index))
    assert (header.request_id, header.error_status, header.error_index) == (7, status, index)


REQUESTS: list[tuple[str, int, int, list[Oid], list[Oid], int]] = [
    ("get one", GET_REQUEST, 1, [(1, 3, 6, 1, 2, 1, 1, 3, 0)], [], 0),
    ("get many", GET_REQUEST, 2**31 - 1, OIDS, [], 0),
    ("bulk", GET_BULK_REQUEST, 300, [(1, 3, 6, 1, 2, 1, 1, 3)],
     [(1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 6), (1, 3, 6, 1, 2, 1, 2, 2, 1, 8)], 25),
    ("bulk no non-repeaters", GET_BULK_REQUEST, 128, [], [(1, 3, 6, 1, 2, 1, 2, 2, 1, 2)], 200),
]


@pytest.mark.parametrize(("case", "kind", "rid", "first", "rest", "max_rep"), REQUESTS,
                         ids=[r[0] for r in REQUESTS])
def test_requests_decode_in_pyasn1(case: str, kind: int, rid: int, first: list[Oid],
                                   rest: list[Oid], max_rep: int) -> None:
    if kind == GET_REQUEST:
        packet = encode_get(b"s3cret", rid, first)
    else:
        packet = encode_get_bulk(b"s3cret", rid, first, rest, max_rep)
    msg, tail = decoder.decode(packet, asn1Spec=V2C.Message())
    assert tail == b""
    assert bytes(encoder.encode(msg)) == packet  # canonical: pyasn1 re-encodes it identically
    pdu = V2C.apiMessage.get_pdu(msg)
    assert V2C.apiMessage.get_community(msg).asOctets() == b"s3cret"
    assert int(V2C.apiMessage.get_version(msg)) == 1
    assert int(V2C.apiPDU.get_request_id(pdu)) == rid
    oids = [tuple(o) for o, _ in V2C.apiPDU.get_varbinds(pdu)]
    assert oids == [*first, *rest]
    if kind == GET_BULK_REQUEST:
        assert isinstance(pdu, V2C.GetBulkRequestPDU)
        assert int(V2C.apiBulkPDU.get_non_repeaters(pdu)) == len(first)
        assert int(V2C.apiBulkPDU.get_max_repetitions(pdu)) == max_rep
    else:
        assert isinstance(pdu, V2C.GetRequestPDU)


GOOD = pyasn1_response([((1, 3, 6, 1, 2, 1, 1, 3, 0), rfc1902.TimeTicks(99)),
                        (IF_HC_IN, rfc1902.Counter64(2**63)),
                        ((1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 1, 1), rfc1902.OctetString(b"eth0")),
                        ((1, 3, 6, 1, 2, 1, 2, 2, 1, 8, 1), rfc1902.Integer32(1))])

MALFORMED: list[tuple[str, bytes]] = [
    ("empty", b""),
    ("not a sequence", b"\x04\x00"),
    ("v1 message", bytes.fromhex("300f020100040170a208020101020100020100")),
    ("indefinite length", b"\x30\x80" + GOOD[2:]),
    ("huge length", b"\x30\x84\xff\xff\xff\xff" + GOOD[2:]),
    ("get request instead of response", GOOD.replace(b"\xa2", b"\xa0", 1)),
    ("unknown value tag", GOOD.replace(b"\x43\x01\x63", b"\x49\x01\x63")),
    ("oid with dangling continuation", GOOD.replace(b"\x06\x08\x2b\x06\x01\x02\x01\x01\x03\x00",
                                                     b"\x06\x08\x2b\x06\x01\x02\x01\x01\x03\x80")),
    *[(f"truncated to {n}", GOOD[:n]) for n in range(len(GOOD))],
]


@pytest.mark.parametrize(("case", "packet"), MALFORMED, ids=[m[0] for m in MALFORMED])
def test_malformed_packets_raise_snmp_response_error(case: str, packet: bytes) -> None:
    with pytest.raises(SnmpResponseError):
        ours(packet)


def test_random_corruption_never_crashes() -> None:
    rng = random.Random(20261121)
    outcomes = {"ok": 0, "error": 0}
    for _ in range(5000):
        packet = bytearray(GOOD)
        for _ in range(rng.randint(1, 4)):
            packet[rng.randrange(len(packet))] = rng.randrange(256)
        try:
            ours(bytes(packet))
            outcomes["ok"] += 1
        except SnmpResponseError:
            outcomes["error"] += 1
    assert outcomes["error"] > 1000  # and no other exception type escaped

"""The simulator's fast wire format: v2c read requests in, Response-PDUs out.

pyasn1 costs ~3 ms of CPU per 38-varbind GET (two thirds decoding the request), which caps
one simulator process at a few hundred answers per second. This module reuses the poller's
hand-written BER primitives (:mod:`pollers.fastv2c_ber`) for the common case: an SNMPv2c
GetRequest, GetNextRequest or GetBulkRequest in plain definite-length BER. Anything else
(SET, v1, v3, odd encodings) makes :func:`decode_request` return ``None`` and the agent
falls back to pysnmp/pyasn1, so behaviour on rare PDUs is unchanged.

Responses are written exactly as pyasn1 writes them (minimal lengths and integers); the
unit tests re-encode every answer with pyasn1 and compare bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from provnet.pollers.fastv2c_ber import (
    GET_BULK_REQUEST,
    GET_NEXT_REQUEST,
    GET_REQUEST,
    RESPONSE,
    decode_oid_body,
    encode_integer,
    encode_length,
    encode_oid,
    integer_body,
    read_header,
    read_small_int,
    tlv,
)
from provnet.pollers.transport import SnmpResponseError
from provnet.simulator.mib import Kind, Oid

__all__ = ["END_OF_MIB_VIEW", "GET_BULK_REQUEST", "GET_NEXT_REQUEST", "GET_REQUEST",
           "NO_SUCH_INSTANCE", "NO_SUCH_OBJECT", "ReadRequest", "decode_request",
           "encode_response", "encode_value", "encode_varbind"]

READ_PDUS: Final = frozenset({GET_REQUEST, GET_NEXT_REQUEST, GET_BULK_REQUEST})
NO_SUCH_OBJECT: Final = b"\x80\x00"
NO_SUCH_INSTANCE: Final = b"\x81\x00"
END_OF_MIB_VIEW: Final = b"\x82\x00"
_INT32_MIN, _INT32_MAX = -(2**31), 2**31 - 1
#: NULL, the universal and application value types, and the three v2c exceptions.
_REQUEST_VALUE_TAGS: Final = frozenset({0x02, 0x04, 0x05, 0x06, *range(0x40, 0x48), 0x80,
                                        0x81, 0x82})
_TAGS: Final = {Kind.INTEGER: 0x02, Kind.OCTETS: 0x04, Kind.OID: 0x06, Kind.COUNTER32: 0x41,
                Kind.GAUGE32: 0x42, Kind.TIMETICKS: 0x43, Kind.COUNTER64: 0x46}


@dataclass(slots=True)
class ReadRequest:
    """A decoded v2c read request: ``a``/``b`` are error-status/index or non-rep/max-reps."""

    pdu_type: int
    community: bytes
    request_id: int
    a: int
    b: int
    oids: list[Oid]


def decode_request(data: bytes) -> ReadRequest | None:
    """Parse a plain v2c GET/GETNEXT/GETBULK; ``None`` for anything pyasn1 should judge."""
    try:
        return _decode(data)
    except (SnmpResponseError, IndexError):
        return None


def _decode(data: bytes) -> ReadRequest | None:
    start, end = read_header(data, 0, 0x30, len(data))
    version, i = read_small_int(data, start, end)
    if version != 1 or i + 2 > end:
        return None
    cs, ce = read_header(data, i, 0x04, end)
    pdu_type = data[ce]
    if pdu_type not in READ_PDUS:
        return None
    ps, pe = read_header(data, ce, pdu_type, end)
    request_id, i = read_small_int(data, ps, pe)
    a, i = read_small_int(data, i, pe)
    b, i = read_small_int(data, i, pe)
    if not (_INT32_MIN <= request_id <= _INT32_MAX and 0 <= a <= _INT32_MAX
            and 0 <= b <= _INT32_MAX):
        return None  # out of the PDU's value ranges: let pyasn1 reject it
    i, vb_end = read_header(data, i, 0x30, pe)
    oids: list[Oid] = []
    while i < vb_end:
        vs, ve = read_header(data, i, 0x30, vb_end)
        os_, oe = read_header(data, vs, 0x06, ve)
        if data[oe] not in _REQUEST_VALUE_TAGS:
            return None  # not a value a poller sends: pyasn1 decides
        _, val_end = read_header(data, oe, data[oe], ve)
        if val_end != ve:
            return None
        oids.append(decode_oid_body(data[os_:oe]))
        i = ve
    if i != vb_end or vb_end != pe:
        return None
    return ReadRequest(pdu_type, data[cs:ce], request_id, a, b, oids)


def encode_value(kind: Kind, raw: int | bytes | Oid) -> bytes:
    """The value TLV of a served object, as pyasn1 encodes it."""
    if kind is Kind.OCTETS:
        assert isinstance(raw, bytes)
        return tlv(0x04, raw)
    if kind is Kind.OID:
        assert isinstance(raw, tuple)
        return encode_oid(raw)
    assert isinstance(raw, int)
    body = integer_body(raw)
    return bytes((_TAGS[kind], len(body))) + body


def encode_varbind(name: bytes, value: bytes) -> bytes:
    """A varbind SEQUENCE from an encoded OID TLV and an encoded value TLV."""
    return tlv(0x30, name + value)


def encode_response(community: bytes, request_id: int, varbinds: list[bytes],
                    error_status: int = 0, error_index: int = 0) -> bytes:
    """A v2c Response-PDU message around already encoded varbinds."""
    vbl = b"".join(varbinds)
    pdu = (encode_integer(request_id) + encode_integer(error_status)
           + encode_integer(error_index) + b"\x30" + encode_length(len(vbl)) + vbl)
    body = (b"\x02\x01\x01\x04" + encode_length(len(community)) + community
            + bytes((RESPONSE,)) + encode_length(len(pdu)) + pdu)
    return b"\x30" + encode_length(len(body)) + body

"""A minimal, fast BER codec for SNMPv2c GET/GETBULK requests and Response-PDUs.

Hand-written because pyasn1 decoding is most of pysnmp's CPU per poll. Pure functions over
``bytes``: no per-byte objects, lengths read inline, integers via ``int.from_bytes``, and
decoded OBJECT IDENTIFIERs cached by their encoding (the same OIDs come back every cycle).
Every malformed packet raises :class:`~pollers.transport.SnmpResponseError`.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Final

from provnet.pollers.ifmib import END_OF_MIB, Oid, Value, VarBind
from provnet.pollers.transport import SnmpResponseError

GET_REQUEST: Final = 0xA0
GET_NEXT_REQUEST: Final = 0xA1
RESPONSE: Final = 0xA2
GET_BULK_REQUEST: Final = 0xA5

_SEQUENCE: Final = 0x30
_INTEGER: Final = 0x02
_OCTET_STRING: Final = 0x04
_NULL: Final = 0x05
_OID: Final = 0x06
#: Application types whose content is an unsigned integer (Counter32, Gauge32, TimeTicks,
#: Counter64, UInteger32).
_UNSIGNED: Final = frozenset({0x41, 0x42, 0x43, 0x46, 0x47})
#: Application types returned as text like OCTET STRING (IpAddress, Opaque).
_STRINGS: Final = frozenset({0x04, 0x40, 0x44})
_NO_SUCH_OBJECT: Final = 0x80
_NO_SUCH_INSTANCE: Final = 0x81
_END_OF_MIB_VIEW: Final = 0x82

ERROR_STATUS_NAMES: Final = (
    "noError", "tooBig", "noSuchName", "badValue", "readOnly", "genErr", "noAccess",
    "wrongType", "wrongLength", "wrongEncoding", "wrongValue", "noCreation",
    "inconsistentValue", "resourceUnavailable", "commitFailed", "undoFailed",
    "authorizationError", "notWritable", "inconsistentName",
)

_OID_CACHE: dict[bytes, Oid] = {}
_OID_CACHE_MAX: Final = 200_000


class Malformed(SnmpResponseError):
    """The packet is not a well-formed SNMPv2c message."""


# --- encoding --------------------------------------------------------------------------------


def encode_length(n: int) -> bytes:
    """BER definite length octets, minimal form (as pyasn1 writes them)."""
    if n < 0x80:
        return bytes((n,))
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes((0x80 | len(body),)) + body


def tlv(tag: int, body: bytes) -> bytes:
    """One TLV with a single-octet ``tag``."""
    return bytes((tag,)) + encode_length(len(body)) + body


def encode_integer(value: int) -> bytes:
    """INTEGER TLV with the minimal two's-complement encoding."""
    return tlv(_INTEGER, integer_body(value))


def integer_body(value: int) -> bytes:
    """Two's-complement content octets, sized as pyasn1 sizes them (byte-identical output).

    That is minimal except for negative powers of 256 such as -128 (``ff 80``): still valid
    BER, and what every pysnmp agent sends.
    """
    return value.to_bytes(value.bit_length() // 8 + 1, "big", signed=True)


@lru_cache(maxsize=65536)
def encode_oid(oid: Oid) -> bytes:
    """OBJECT IDENTIFIER TLV (``oid`` needs at least two arcs, the first 0..2)."""
    if len(oid) < 2 or oid[0] > 2 or (oid[0] < 2 and oid[1] >= 40) or min(oid) < 0:
        raise ValueError(f"cannot encode OID {oid!r}")
    body = bytearray()
    for arc in (oid[0] * 40 + oid[1], *oid[2:]):
        chunk = [arc & 0x7F]
        arc >>= 7
        while arc:
            chunk.append(0x80 | (arc & 0x7F))
            arc >>= 7
        body.extend(reversed(chunk))
    return tlv(_OID, bytes(body))


@lru_cache(maxsize=4096)
def _varbind_list(oids: tuple[Oid, ...]) -> bytes:
    return tlv(_SEQUENCE, b"".join(tlv(_SEQUENCE, encode_oid(o) + b"\x05\x00") for o in oids))


def encode_request(
    community: bytes, pdu_type: int, request_id: int, a: int, b: int, oids: Sequence[Oid]
) -> bytes:
    """An SNMPv2c message: ``a``/``b`` are error-status/index (GET) or non-repeaters/max-reps."""
    pdu = tlv(
        pdu_type,
        encode_integer(request_id) + encode_integer(a) + encode_integer(b)
        + _varbind_list(tuple(oids)),
    )
    return tlv(_SEQUENCE, b"\x02\x01\x01" + tlv(_OCTET_STRING, community) + pdu)


def encode_get(community: bytes, request_id: int, oids: Sequence[Oid]) -> bytes:
    """A GetRequest-PDU message."""
    return encode_request(community, GET_REQUEST, request_id, 0, 0, oids)


def encode_get_bulk(
    community: bytes, request_id: int, non_repeaters: Sequence[Oid], repeaters: Sequence[Oid],
    max_repetitions: int,
) -> bytes:
    """A GetBulkRequest-PDU message (non-repeaters first, then repeaters)."""
    oids = (*non_repeaters, *repeaters)
    return encode_request(
        community, GET_BULK_REQUEST, request_id, len(non_repeaters), max_repetitions, oids
    )


# --- decoding --------------------------------------------------------------------------------


def read_header(data: bytes, i: int, tag: int, limit: int) -> tuple[int, int]:
    """Check the tag at ``data[i]``; return (content start, content end) within ``limit``."""
    if i + 2 > limit or data[i] != tag:
        raise Malformed(f"expected tag 0x{tag:02x} at offset {i}")
    n = data[i + 1]
    i += 2
    if n >= 0x80:
        k = n & 0x7F
        if k == 0 or k > 3 or i + k > limit:
            raise Malformed(f"bad length at offset {i - 1}")
        n = int.from_bytes(data[i:i + k], "big")
        i += k
    end = i + n
    if end > limit:
        raise Malformed(f"length {n} at offset {i} runs past the end")
    return i, end


def read_small_int(data: bytes, i: int, limit: int) -> tuple[int, int]:
    start, end = read_header(data, i, _INTEGER, limit)
    if end == start or end - start > 8:
        raise Malformed(f"bad INTEGER length at offset {i}")
    return int.from_bytes(data[start:end], "big", signed=True), end


def decode_oid_body(raw: bytes) -> Oid:
    """Content octets of an OBJECT IDENTIFIER -> tuple of arcs (cached)."""
    oid = _OID_CACHE.get(raw)
    if oid is not None:
        return oid
    if not raw or raw[-1] & 0x80:
        raise Malformed("truncated OBJECT IDENTIFIER")
    arcs: list[int] = []
    value = 0
    for byte in raw:
        value = (value << 7) | (byte & 0x7F)
        if byte < 0x80:
            arcs.append(value)
            value = 0
    first = arcs[0]
    head = (0, first) if first < 40 else (1, first - 40) if first < 80 else (2, first - 80)
    oid = (*head, *arcs[1:])
    if len(_OID_CACHE) >= _OID_CACHE_MAX:
        _OID_CACHE.clear()
    _OID_CACHE[raw] = oid
    return oid


class ResponseHeader:
    """What precedes the varbinds of a Response-PDU, and where the varbind list lies."""

    __slots__ = ("community", "error_index", "error_status", "request_id", "vb_end", "vb_start")

    def __init__(self, request_id: int, error_status: int, error_index: int, community: bytes,
                 vb_start: int, vb_end: int) -> None:
        self.request_id = request_id
        self.error_status = error_status
        self.error_index = error_index
        self.community = community
        self.vb_start = vb_start
        self.vb_end = vb_end


def decode_header(data: bytes) -> ResponseHeader:
    """Parse an SNMPv2c Response-PDU up to its varbind list (cheap: done for every datagram)."""
    limit = len(data)
    start, end = read_header(data, 0, _SEQUENCE, limit)
    version, i = read_small_int(data, start, end)
    if version != 1:
        raise Malformed(f"not SNMPv2c (version field {version})")
    cs, ce = read_header(data, i, _OCTET_STRING, end)
    pdu_start, pdu_end = read_header(data, ce, RESPONSE, end)
    request_id, i = read_small_int(data, pdu_start, pdu_end)
    status, i = read_small_int(data, i, pdu_end)
    index, i = read_small_int(data, i, pdu_end)
    vb_start, vb_end = read_header(data, i, _SEQUENCE, pdu_end)
    return ResponseHeader(request_id, status, index, data[cs:ce], vb_start, vb_end)


def decode_varbinds(data: bytes, i: int, end: int) -> list[VarBind]:
    """The varbind list content ``data[i:end]`` -> ``[(oid, plain value), ...]``."""
    out: list[VarBind] = []
    append = out.append
    cache = _OID_CACHE
    from_bytes = int.from_bytes
    try:
        while i < end:
            # SEQUENCE header of one varbind (inline: this loop is the hot path).
            if data[i] != _SEQUENCE:
                raise Malformed(f"expected a varbind SEQUENCE at offset {i}")
            n = data[i + 1]
            i += 2
            if n >= 0x80:
                k = n & 0x7F
                if k == 0 or k > 3:
                    raise Malformed(f"bad length at offset {i - 1}")
                n = from_bytes(data[i:i + k], "big")
                i += k
            vb_end = i + n
            if vb_end > end:
                raise Malformed(f"varbind at offset {i} runs past its list")
            # name
            if data[i] != _OID:
                raise Malformed(f"expected an OID at offset {i}")
            n = data[i + 1]
            if n >= 0x80:
                raise Malformed(f"OID too long at offset {i}")
            i += 2
            raw = data[i:i + n]
            i += n
            oid = cache.get(raw)
            if oid is None:
                oid = decode_oid_body(raw)
            # value
            tag = data[i]
            n = data[i + 1]
            i += 2
            if n >= 0x80:
                k = n & 0x7F
                if k == 0 or k > 3:
                    raise Malformed(f"bad length at offset {i - 1}")
                n = from_bytes(data[i:i + k], "big")
                i += k
            if i + n != vb_end:
                raise Malformed(f"varbind value at offset {i} does not end its varbind")
            value: Value
            if tag in _UNSIGNED:
                if n > 9:
                    raise Malformed(f"unsigned value too long at offset {i}")
                value = from_bytes(data[i:vb_end], "big")
            elif tag == _INTEGER:
                if n == 0 or n > 9:
                    raise Malformed(f"bad INTEGER length at offset {i}")
                value = from_bytes(data[i:vb_end], "big", signed=True)
            elif tag in _STRINGS:
                value = data[i:vb_end].decode("utf-8", "replace")
            elif tag == _OID:
                value = ".".join(map(str, decode_oid_body(data[i:vb_end])))
            elif tag in (_NULL, _NO_SUCH_OBJECT, _NO_SUCH_INSTANCE):
                value = None
            elif tag == _END_OF_MIB_VIEW:
                value = END_OF_MIB
            else:
                raise Malformed(f"unsupported value type 0x{tag:02x} at offset {i}")
            append((oid, value))
            i = vb_end
    except IndexError as exc:
        raise Malformed("packet truncated inside the varbind list") from exc
    if i != end:
        raise Malformed("varbind list length mismatch")
    return out


def error_status_name(status: int) -> str:
    """``tooBig`` for 1 etc.; the number for unknown codes."""
    if 0 <= status < len(ERROR_STATUS_NAMES):
        return ERROR_STATUS_NAMES[status]
    return f"error-status {status}"

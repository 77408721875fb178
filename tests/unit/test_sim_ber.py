"""The simulator's fast BER path, cross-checked against pyasn1 (what pysnmp itself uses)."""

from __future__ import annotations

import random
from typing import Any

import pytest
from pyasn1.codec.ber import decoder, encoder
from pysnmp.proto import api, rfc1902

from provnet.pollers.fastv2c_ber import encode_get, encode_get_bulk, encode_request
from provnet.simulator import ber, mib
from provnet.simulator.agent import TOO_BIG, Responder
from provnet.simulator.example import C3, CORE, POP_A, POP_B, example_plan
from provnet.simulator.mib import Kind, Oid
from provnet.simulator.model import Network
from provnet.simulator.plan import plan_from_dict

V2C: Any = api.PROTOCOL_MODULES[api.SNMP_VERSION_2C]
V1: Any = api.PROTOCOL_MODULES[api.SNMP_VERSION_1]
WALL = 1_760_000_000.0
NOW = 5000.0
SYS = (1, 3, 6, 1, 2, 1, 1)
HC_IN = (*mib.IFX_ENTRY, mib.IFX_HC_IN_OCTETS)
PYASN1_TYPES = {Kind.INTEGER: rfc1902.Integer32, Kind.OCTETS: rfc1902.OctetString,
                Kind.OID: rfc1902.ObjectIdentifier, Kind.COUNTER32: rfc1902.Counter32,
                Kind.GAUGE32: rfc1902.Gauge32, Kind.TIMETICKS: rfc1902.TimeTicks,
                Kind.COUNTER64: rfc1902.Counter64}

VALUES: list[tuple[Kind, int | bytes | Oid]] = [
    (Kind.INTEGER, 0), (Kind.INTEGER, 127), (Kind.INTEGER, 128), (Kind.INTEGER, -1),
    (Kind.INTEGER, -128), (Kind.INTEGER, -129), (Kind.INTEGER, -4000), (Kind.INTEGER, 255),
    (Kind.INTEGER, 2**31 - 1), (Kind.INTEGER, -(2**31)),
    (Kind.COUNTER32, 0), (Kind.COUNTER32, 2**31), (Kind.COUNTER32, 2**32 - 1),
    (Kind.GAUGE32, 1000), (Kind.GAUGE32, 4_294_967_295), (Kind.TIMETICKS, 123_456_789),
    (Kind.COUNTER64, 0), (Kind.COUNTER64, 2**63), (Kind.COUNTER64, 2**64 - 1),
    (Kind.OCTETS, b""), (Kind.OCTETS, "Long Xuyên".encode()), (Kind.OCTETS, b"x" * 300),
    (Kind.OCTETS, b"\x00\xe0\xfc\x01\x02\x03"), (Kind.OID, (1, 3, 6, 1, 4, 1, 2011, 2, 62)),
    (Kind.OID, (0, 0)),
]


@pytest.mark.parametrize(("kind", "raw"), VALUES, ids=[f"{k.name}-{i}" for i, (k, _) in
                                                        enumerate(VALUES)])
def test_values_encode_like_pyasn1(kind: Kind, raw: int | bytes | Oid) -> None:
    assert ber.encode_value(kind, raw) == bytes(encoder.encode(PYASN1_TYPES[kind](raw)))


def pyasn1_request(pdu_cls: Any, oids: list[Oid], request_id: int = 7, community: str = "public",
                   a: int = 0, b: int = 0, proto: Any = V2C) -> bytes:
    """A request message encoded by pysnmp/pyasn1."""
    pdu = pdu_cls()
    proto.apiPDU.set_defaults(pdu)
    proto.apiPDU.set_request_id(pdu, request_id)
    if pdu_cls is V2C.GetBulkRequestPDU:
        V2C.apiBulkPDU.set_non_repeaters(pdu, a)
        V2C.apiBulkPDU.set_max_repetitions(pdu, b)
    proto.apiPDU.set_varbinds(pdu, [(oid, proto.null) for oid in oids])
    msg = proto.Message()
    proto.apiMessage.set_defaults(msg)
    proto.apiMessage.set_community(msg, community)
    proto.apiMessage.set_pdu(msg, pdu)
    return bytes(encoder.encode(msg))


MANY = [(*HC_IN, i) for i in range(1, 201)]
DECODED = [
    ("get", pyasn1_request(V2C.GetRequestPDU, [(*SYS, 3, 0)]), ber.GET_REQUEST, b"public",
     7, 0, 0, [(*SYS, 3, 0)]),
    ("get negative id", pyasn1_request(V2C.GetRequestPDU, [(*SYS, 5, 0)], request_id=-128),
     ber.GET_REQUEST, b"public", -128, 0, 0, [(*SYS, 5, 0)]),
    ("get int32 max id", pyasn1_request(V2C.GetRequestPDU, [(*SYS, 5, 0)], 2**31 - 1),
     ber.GET_REQUEST, b"public", 2**31 - 1, 0, 0, [(*SYS, 5, 0)]),
    ("get int32 min id", pyasn1_request(V2C.GetRequestPDU, [(*SYS, 5, 0)], -(2**31)),
     ber.GET_REQUEST, b"public", -(2**31), 0, 0, [(*SYS, 5, 0)]),
    ("getnext", pyasn1_request(V2C.GetNextRequestPDU, [SYS, (1, 3)]), ber.GET_NEXT_REQUEST,
     b"public", 7, 0, 0, [SYS, (1, 3)]),
    ("getbulk", pyasn1_request(V2C.GetBulkRequestPDU, [SYS, HC_IN], a=1, b=25),
     ber.GET_BULK_REQUEST, b"public", 7, 1, 25, [SYS, HC_IN]),
    ("long lengths", pyasn1_request(V2C.GetRequestPDU, MANY, community="c" * 300),
     ber.GET_REQUEST, b"c" * 300, 7, 0, 0, MANY),
    ("empty community", pyasn1_request(V2C.GetRequestPDU, [(0, 0)], community=""),
     ber.GET_REQUEST, b"", 7, 0, 0, [(0, 0)]),
    ("large arcs", pyasn1_request(V2C.GetRequestPDU, [(2, 999, 4294967295, 128)]),
     ber.GET_REQUEST, b"public", 7, 0, 0, [(2, 999, 4294967295, 128)]),
    ("poller's own GET", encode_get(b"public", 99, [(*SYS, 3, 0)]), ber.GET_REQUEST,
     b"public", 99, 0, 0, [(*SYS, 3, 0)]),
    ("poller's own GETBULK", encode_get_bulk(b"public", 3, [(*SYS, 3)], [HC_IN], 9),
     ber.GET_BULK_REQUEST, b"public", 3, 1, 9, [(*SYS, 3), HC_IN]),
]


@pytest.mark.parametrize(("case", "data", "pdu_type", "community", "request_id", "a", "b",
                          "oids"), DECODED, ids=[c[0] for c in DECODED])
def test_decodes_read_requests(case: str, data: bytes, pdu_type: int, community: bytes,
                               request_id: int, a: int, b: int, oids: list[Oid]) -> None:
    assert ber.decode_request(data) == ber.ReadRequest(pdu_type, community, request_id, a, b,
                                                       oids)


GOOD = pyasn1_request(V2C.GetRequestPDU, [(*SYS, 3, 0)])
SET = V2C.SetRequestPDU()
V2C.apiPDU.set_defaults(SET)
V2C.apiPDU.set_varbinds(SET, [((*mib.IF_ENTRY, 7, 1), rfc1902.Integer(2))])
SET_MSG = V2C.Message()
V2C.apiMessage.set_defaults(SET_MSG)
V2C.apiMessage.set_community(SET_MSG, "private")
V2C.apiMessage.set_pdu(SET_MSG, SET)
LEFT_TO_PYASN1 = [
    ("set", bytes(encoder.encode(SET_MSG))),
    ("v1 get", pyasn1_request(V1.GetRequestPDU, [(*SYS, 3, 0)], proto=V1)),
    ("version 3", GOOD[:4] + b"\x03" + GOOD[5:]),
    ("response pdu", GOOD.replace(b"\xa0", b"\xa2", 1)),
    ("trap pdu", GOOD.replace(b"\xa0", b"\xa7", 1)),
    ("empty", b""),
    ("garbage", b"\x30\x03\x02\x01"),
    ("request id beyond int32", encode_request(b"public", 0xA0, 2**31, 0, 0, [(1, 3)])),
    ("negative max-repetitions", encode_request(b"public", 0xA5, 1, 0, -1, [(1, 3)])),
    ("sequence as value", GOOD.replace(b"\x05\x00", b"\x30\x00")),
    ("trailing byte in pdu", GOOD[:1] + bytes((GOOD[1] + 1,)) + GOOD[2:14]
     + bytes((GOOD[14] + 1,)) + GOOD[15:] + b"\x00"),
]


@pytest.mark.parametrize(("case", "data"), LEFT_TO_PYASN1, ids=[c[0] for c in LEFT_TO_PYASN1])
def test_other_messages_are_left_to_pyasn1(case: str, data: bytes) -> None:
    assert ber.decode_request(data) is None


def test_truncations_and_corruptions_never_raise() -> None:
    for n in range(len(GOOD)):
        assert ber.decode_request(GOOD[:n]) is None
    rng = random.Random(3)
    for _ in range(3000):
        data = bytearray(GOOD)
        for _ in range(rng.randint(1, 4)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        got = ber.decode_request(bytes(data))
        assert got is None or isinstance(got, ber.ReadRequest)


# --- whole answers: pyasn1 must read them and write the very same bytes ---------------------

@pytest.fixture()
def responder() -> Responder:
    plan = example_plan(max_message_bytes=1400, write_community="private")
    return Responder(Network(plan_from_dict(plan), 0.0, WALL))


def pyasn1_answer(data: bytes) -> tuple[Any, list[tuple[Oid, Any]]]:
    """Decode a response with pyasn1, check it re-encodes to the same bytes; (pdu, varbinds)."""
    msg, rest = decoder.decode(data, asn1Spec=V2C.Message())
    assert rest == b""
    assert bytes(encoder.encode(msg)) == data
    pdu = V2C.apiMessage.get_pdu(msg)
    assert pdu.tagSet == V2C.ResponsePDU.tagSet
    return pdu, [(tuple(n.asTuple()), v) for n, v in V2C.apiPDU.get_varbinds(pdu)]


def served(net: Network, dev_id: int) -> list[tuple[Oid, Any]]:
    """What the device serves, as pyasn1 objects (the expected answers)."""
    dev = net.devices[dev_id]
    u = net.model_time(NOW)
    return [(oid, PYASN1_TYPES[dev.read(i, u)[0]](dev.read(i, u)[1]))
            for i, oid in enumerate(dev.oids)]


@pytest.mark.parametrize("dev_id", [CORE, POP_A, POP_B, C3])
def test_getnext_walk_matches_every_served_value(responder: Responder, dev_id: int) -> None:
    dev, expected = responder.network.devices[dev_id], served(responder.network, dev_id)
    oid: Oid = (1, 0)  # LLDP-MIB (1.0.8802...) sorts before 1.3.6
    for want_oid, want in [*expected, (None, None)]:
        data = pyasn1_request(V2C.GetNextRequestPDU, [oid], request_id=len(oid))
        answer = responder.handle(dev, data, NOW)
        assert answer is not None and answer == responder.handle_with_pyasn1(dev, data, NOW)
        pdu, ((got_oid, got),) = pyasn1_answer(answer)
        assert int(V2C.apiPDU.get_request_id(pdu)) == len(oid)
        if want_oid is None:
            assert got_oid == oid and got.tagSet == V2C.EndOfMibView.tagSet
            break
        assert (got_oid, got.tagSet, got) == (want_oid, want.tagSet, want)
        oid = got_oid


BULKS = [("one column", [], [HC_IN], 10), ("scalars and columns", [(*SYS, 3)],
         [(*mib.IF_ENTRY, 8), HC_IN], 5), ("past the end", [], [(1, 3, 6, 1, 6)], 400),
         ("truncated at 1400 bytes", [(1, 3)], [(1, 3)], 500), ("zero repetitions", [(1, 3)],
         [HC_IN], 0)]


@pytest.mark.parametrize(("case", "nonrep", "reps", "max_rep"), BULKS, ids=[b[0] for b in BULKS])
def test_getbulk_answers_read_back_in_pyasn1(responder: Responder, case: str, nonrep: list[Oid],
                                             reps: list[Oid], max_rep: int) -> None:
    dev = responder.network.devices[POP_B]
    data = encode_get_bulk(b"public", 11, nonrep, reps, max_rep)
    answer = responder.handle(dev, data, NOW)
    assert answer is not None and answer == responder.handle_with_pyasn1(dev, data, NOW)
    assert len(answer) <= 1400
    pdu, got = pyasn1_answer(answer)
    assert int(V2C.apiPDU.get_error_status(pdu)) == 0
    values = dict(served(responder.network, POP_B))
    for oid, value in got:
        if value.tagSet != V2C.EndOfMibView.tagSet:
            assert value == values[oid]
    if case == "truncated at 1400 bytes":
        assert 10 < len(got) < 1 + max_rep
    elif case == "past the end":
        assert [(oid, v.tagSet) for oid, v in got] == [((1, 3, 6, 1, 6),
                                                         V2C.EndOfMibView.tagSet)]
    else:
        assert len(got) == len(nonrep) + len(reps) * max_rep


def test_get_exceptions_and_too_big(responder: Responder) -> None:
    dev = responder.network.devices[C3]
    data = encode_get(b"public", 5, [(*SYS, 5, 0), (*SYS, 5, 1), (1, 3, 6, 1, 4, 1, 99, 1)])
    _, got = pyasn1_answer(responder.handle(dev, data, NOW) or b"")
    assert [v.tagSet for _, v in got] == [V2C.OctetString.tagSet, V2C.NoSuchInstance.tagSet,
                                         V2C.NoSuchObject.tagSet]
    big = encode_get(b"public", 6, [(*SYS, 1, 0)] * 200)  # 200 x sysDescr > 1400 bytes
    pdu, got = pyasn1_answer(responder.handle(dev, big, NOW) or b"")
    assert (int(V2C.apiPDU.get_error_status(pdu)), got) == (TOO_BIG, [])


def test_wrong_community_and_set_still_work(responder: Responder) -> None:
    dev = responder.network.devices[POP_A]
    assert responder.handle(dev, encode_get(b"private", 1, [(*SYS, 3, 0)]), NOW) is None
    assert responder.stats.bad_community == 1
    answer = responder.handle(dev, bytes(encoder.encode(SET_MSG)), NOW)
    pdu, _ = pyasn1_answer(answer or b"")
    assert int(V2C.apiPDU.get_error_status(pdu)) == 0
    assert responder.network.value_at(POP_A, (*mib.IF_ENTRY, 7, 1), NOW) == (Kind.INTEGER, 2)

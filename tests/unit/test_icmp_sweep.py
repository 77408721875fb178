"""pollers.icmp_sweep: reply matching, packet parsing, kernel timestamps (table-driven)."""

from __future__ import annotations

import socket
import struct

import pytest

from provnet.pollers.icmp import summarise
from provnet.pollers.icmp_sweep import SO_TIMESTAMP, Echo, Reply, kernel_time, parse_echo, tally

TARGETS = [(1, "127.10.0.1"), (2, "127.10.0.2")]
T0 = 1_700_000_000.0
SENT = {
    (77, 1): Echo(1, "127.10.0.1", T0),
    (77, 2): Echo(2, "127.10.0.2", T0),
    (77, 3): Echo(1, "127.10.0.1", T0 + 0.25),
    (77, 4): Echo(2, "127.10.0.2", T0 + 0.25),
}


@pytest.mark.parametrize(
    ("replies", "expected"),
    [
        ([], {1: (0, None), 2: (0, None)}),
        ([Reply(77, 1, 0, T0 + 0.001), Reply(77, 3, 0, T0 + 0.253)],
         {1: (2, 2.0), 2: (0, None)}),
        # a duplicate reply counts once
        ([Reply(77, 2, 0, T0 + 0.004), Reply(77, 2, 0, T0 + 0.005)], {1: (0, None), 2: (1, 4.0)}),
        # late (after the 1 s timeout), foreign id, unknown sequence: not answers
        ([Reply(77, 1, 0, T0 + 1.5), Reply(78, 1, 0, T0 + 0.001), Reply(77, 9, 0, T0 + 0.001)],
         {1: (0, None), 2: (0, None)}),
        # destination unreachable (type 3) about our request is not an answer
        ([Reply(77, 4, 3, T0 + 0.26)], {1: (0, None), 2: (0, None)}),
        # our own echo request seen on loopback (type 8) is not an answer either
        ([Reply(77, 1, 8, T0 + 0.0001)], {1: (0, None), 2: (0, None)}),
        # a reply stamped before its request went out (clock step) is ignored
        ([Reply(77, 3, 0, T0 + 0.1)], {1: (0, None), 2: (0, None)}),
    ],
)
def test_tally(replies: list[Reply], expected: dict[int, tuple[int, float | None]]) -> None:
    readings = tally(TARGETS, 2, SENT, replies, 1.0, summarise)
    got = {d: (r.received, r.rtt_avg_ms) for d, r in readings.items()}
    assert got == expected
    assert all(r.sent == 2 for r in readings.values())


def _ip(payload: bytes, ihl_words: int = 5, version: int = 4) -> bytes:
    header = bytes([(version << 4) | ihl_words]) + bytes(ihl_words * 4 - 1)
    return header + payload


@pytest.mark.parametrize(
    ("packet", "parsed"),
    [
        (_ip(bytes([0, 0, 0, 0]) + struct.pack("!HH", 77, 3)), (0, 77, 3)),
        (_ip(bytes([8, 0, 0, 0]) + struct.pack("!HH", 1, 65535)), (8, 1, 65535)),
        (_ip(bytes([0, 0, 0, 0]) + struct.pack("!HH", 5, 6), ihl_words=6), (0, 5, 6)),  # options
        (_ip(bytes([0, 0, 0, 0])), None),  # truncated ICMP header
        (b"\x45" + bytes(10), None),  # truncated IP header
        (_ip(bytes(8), version=6), None),
        (b"", None),
    ],
)
def test_parse_echo(packet: bytes, parsed: tuple[int, int, int] | None) -> None:
    assert parse_echo(packet) == parsed


def test_kernel_time() -> None:
    stamp = struct.pack("@ll", 1_700_000_000, 250_000)
    assert kernel_time([(socket.SOL_SOCKET, SO_TIMESTAMP, stamp)]) == 1_700_000_000.25
    assert kernel_time([(socket.SOL_SOCKET, 99, stamp)]) is None
    assert kernel_time([(socket.SOL_SOCKET, SO_TIMESTAMP, b"\x00")]) is None
    assert kernel_time([]) is None

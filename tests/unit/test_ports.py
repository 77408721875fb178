"""provnet.tsdb.ports: ports for listeners bound a moment later by another process."""

from __future__ import annotations

import socket

import pytest

from provnet.tsdb.ports import LOW, ephemeral_low, free_port, free_ports, port_range


@pytest.mark.parametrize("kind", [socket.SOCK_STREAM, socket.SOCK_DGRAM])
def test_a_free_port_is_below_the_ephemeral_range_and_bindable(kind: int) -> None:
    port = free_port("127.0.0.1", kind)
    assert LOW <= port < ephemeral_low()
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", port))


def test_ports_for_many_hosts_are_all_different() -> None:
    ports = free_ports(["127.0.0.1"] * 50)
    assert len(set(ports)) == 50


def test_a_taken_port_is_never_chosen() -> None:
    holders = []
    try:
        taken = set()
        for _ in range(200):  # hold some ports, then ask again many times
            s = socket.socket()
            s.bind(("127.0.0.1", free_port()))
            holders.append(s)
            taken.add(s.getsockname()[1])
        assert not taken & set(free_ports(["127.0.0.1"] * 200))
    finally:
        for s in holders:
            s.close()


@pytest.mark.parametrize(("value", "expected"), [
    ("20000-20100", (20000, 20100)),
    ("", None), ("20100-20000", None), ("80-90", None), ("a-b", None), ("20000", None),
])
def test_the_range_setting_is_used_only_when_valid(
        monkeypatch: pytest.MonkeyPatch, value: str, expected: tuple[int, int] | None) -> None:
    monkeypatch.setenv("PROVNET_PORT_RANGE", value)
    assert port_range() == (expected or (LOW, ephemeral_low()))


def test_ports_come_from_the_set_range(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROVNET_PORT_RANGE", "21000-21200")
    assert all(21000 <= p < 21200 for p in free_ports(["127.0.0.1"] * 20))

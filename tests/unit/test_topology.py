"""Topology paths and reachability on small hand-drawn networks."""

import pytest

from provnet.inventory.topology import Edge, Path, Topology

# core=1; PoPs 2, 3; communes 10, 11 under PoP 2; 12 dual-homed to PoPs 2 and 3; 13 under 3.
EDGES = [
    Edge(100, 2, 1),
    Edge(101, 3, 1),
    Edge(110, 10, 2),
    Edge(111, 11, 2),
    Edge(112, 12, 2),
    Edge(113, 12, 3),
    Edge(114, 13, 3),
]


@pytest.fixture
def topo() -> Topology:
    return Topology(1, EDGES)


@pytest.mark.parametrize(
    ("device", "expected"),
    [
        (1, [Path((1,), ())]),
        (10, [Path((10, 2, 1), (110, 100))]),
        (12, [Path((12, 2, 1), (112, 100)), Path((12, 3, 1), (113, 101))]),
        (99, []),
    ],
)
def test_paths_to_core(topo: Topology, device: int, expected: list[Path]) -> None:
    assert topo.paths_to_core(device) == expected


@pytest.mark.parametrize(
    ("links", "devices", "cut"),
    [
        ((), (), set()),
        ((110,), (), {10}),
        ((100,), (), {2, 10, 11}),  # PoP uplink: PoP and its single-homed communes; 12 survives
        ((), (2,), {10, 11}),  # PoP device down
        ((112,), (), set()),  # one of two uplinks of the dual-homed commune
        ((112, 113), (), {12}),
        ((100, 101), (), {2, 3, 10, 11, 12, 13}),
    ],
)
def test_cut_off_by(topo: Topology, links: tuple, devices: tuple, cut: set) -> None:
    assert topo.cut_off_by(links, devices) == cut


def test_core_down_reaches_nothing(topo: Topology) -> None:
    assert topo.reachable(failed_devices=[1]) == set()


def test_parallel_links_are_distinct() -> None:
    t = Topology(1, [Edge(1, 2, 1), Edge(2, 2, 1)])
    assert len(t.paths_to_core(2)) == 2
    assert t.cut_off_by([1]) == set()
    assert t.cut_off_by([1, 2]) == {2}


def test_ring_between_pops_is_used_both_ways() -> None:
    # PoP 3 has no uplink of its own but a ring link to PoP 2
    t = Topology(1, [Edge(1, 2, 1), Edge(2, 3, 2, bidirectional=True), Edge(3, 10, 3)])
    assert t.paths_to_core(10) == [Path((10, 3, 2, 1), (3, 2, 1))]
    assert t.paths_to_core(2) == [Path((2, 1), (1,))]
    assert t.cut_off_by([2]) == {3, 10}

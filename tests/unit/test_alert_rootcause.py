"""Root cause on hand-drawn topologies and the seeded demo: one root per real fault."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from provnet.alerts.rootcause import Analysis, Element, analyse
from provnet.inventory import queries
from provnet.inventory.topology import Edge, Topology

# core 1; PoPs 2, 3 (uplinks 100, 101); communes 10, 11 under PoP 2; 12 dual-homed to 2 and 3;
# 13 under 3; 14 hangs below commune 13 (a chain).
EDGES = [Edge(100, 2, 1), Edge(101, 3, 1), Edge(110, 10, 2), Edge(111, 11, 2),
         Edge(112, 12, 2), Edge(113, 12, 3), Edge(114, 13, 3), Edge(115, 14, 13)]


def el(text: str) -> Element:
    e = Element.parse(text)
    assert e is not None
    return e


@pytest.fixture
def topo() -> Topology:
    return Topology(1, EDGES)


@pytest.mark.parametrize(("links", "devices", "roots", "root_of"), [
    pytest.param((), (), [], {}, id="nothing"),
    # PoP 2's uplink down: PoP 2 and its single-homed communes are cut off, 12 is not
    pytest.param((100,), (2, 10, 11), ["link:100"],
                 {"device:2": "link:100", "device:10": "link:100", "device:11": "link:100"},
                 id="pop-uplink"),
    # the same fault seen before the core's port was polled: the PoP itself is the root
    pytest.param((), (2, 10, 11), ["device:2"],
                 {"device:10": "device:2", "device:11": "device:2"}, id="pop-unreachable"),
    # a commune alone
    pytest.param((110,), (10,), ["link:110"], {"device:10": "link:110"}, id="commune-uplink"),
    # the dual-homed commune's link to the dead PoP is seen down from the commune: explained
    pytest.param((100, 112), (2, 10, 11), ["link:100"],
                 {"link:112": "link:100", "device:2": "link:100"}, id="dual-homed-side-link"),
    # two independent faults: two roots
    pytest.param((100, 114), (2, 10, 11, 13, 14), ["link:100", "link:114"],
                 {"device:13": "link:114", "device:14": "link:114", "device:10": "link:100"},
                 id="two-faults"),
    # chain: commune 13 down explains 14
    pytest.param((), (13, 14), ["device:13"], {"device:14": "device:13"}, id="chain"),
    # both PoPs down: the dual-homed commune is attributed to the first root
    pytest.param((100, 101), (2, 3, 10, 11, 12, 13, 14), ["link:100", "link:101"],
                 {"device:12": "link:100", "device:3": "link:101"}, id="both-pops"),
])
def test_roots(topo: Topology, links: tuple[int, ...], devices: tuple[int, ...],
               roots: list[str], root_of: dict[str, str]) -> None:
    a = analyse(topo, links, devices)
    assert [str(r) for r in a.roots] == roots
    for e, r in root_of.items():
        assert str(a.root(el(e))) == r


def test_dual_homed_not_cut_off(topo: Topology) -> None:
    a = analyse(topo, (100,), (2, 10, 11))
    assert a.cut_off[el("link:100")] == {2, 10, 11}
    assert a.device_root(12) is None


def _signature(a: Analysis) -> tuple[object, ...]:
    return a.roots, tuple(sorted(a.root_of.items())), tuple(sorted(a.cut_off.items()))


def test_order_does_not_matter(topo: Topology) -> None:
    """Every order in which the failures are reported yields the same analysis."""
    failures = [("l", 100), ("l", 114), ("d", 2), ("d", 10), ("d", 11), ("d", 13), ("d", 14)]
    seen = set()
    for order in itertools.permutations(failures):
        links = [i for k, i in order if k == "l"]
        devs = [i for k, i in order if k == "d"]
        seen.add(_signature(analyse(topo, links, devs)))
    assert len(seen) == 1


@pytest.fixture(scope="module")
def demo_topology(tmp_path_factory: pytest.TempPathFactory) -> tuple[Topology, dict[str, int],
                                                                     dict[int, str]]:
    from provnet.demo.seed import seed_demo
    from provnet.inventory.store import open_store

    path: Path = tmp_path_factory.mktemp("demo") / "inv.sqlite"
    store = open_store(f"sqlite:///{path}")
    seed_demo(store)
    with store.session() as s:
        topo = queries.topology(s)
        devs = queries.devices(s)
        uplinks = {r.a_site_code: r.id for r in queries.links(s) if r.z_site_code == "AG-CORE"}
    store.close()
    return topo, uplinks, {d.id: d.site_code for d in devs}


def test_demo_pop_uplink(demo_topology: tuple[Topology, dict[str, int], dict[int, str]]) -> None:
    topo, uplinks, site_of = demo_topology
    link = uplinks["POP-891"]
    cut = topo.cut_off_by(failed_links=[link])
    a = analyse(topo, [link], cut)
    assert a.roots == (Element("link", link),)
    assert {site_of[d] for d in a.cut_off[a.roots[0]]} == {site_of[d] for d in cut}
    assert "POP-891" in {site_of[d] for d in cut}
    # every cut-off commune office is attributed to the uplink, in any order
    assert all(a.root(Element("device", d)) == Element("link", link) for d in cut)
    assert analyse(topo, [link], sorted(cut, reverse=True)) == a

"""Path-aware root cause on the inventory topology (pure).

Failed elements are down links and unreachable devices. A failed element is *explained* when
it has no path to the core that avoids the other failed elements (a device behind a down
uplink; a link whose upstream end is dead or cut off). Unexplained failed elements are
*roots*; every explained element is attributed to one root (the first, in a stable order,
that alone would cut it off). The result depends only on the sets, never on the order in
which failures were observed.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

from provnet.inventory.topology import Topology


@dataclass(frozen=True, slots=True, order=True)
class Element:
    """A topology element: ``link`` or ``device`` with its inventory id."""

    kind: str
    id: int

    def __str__(self) -> str:
        return f"{self.kind}:{self.id}"

    @classmethod
    def parse(cls, text: str) -> Element | None:
        """``"link:12"`` -> Element; None for anything else."""
        kind, _, ident = text.partition(":")
        if kind in ("link", "device") and ident.isdigit():
            return cls(kind, int(ident))
        return None


@dataclass(frozen=True)
class Analysis:
    """Roots, the root of every failed element and the devices each root cuts off."""

    roots: tuple[Element, ...]
    root_of: dict[Element, Element] = field(default_factory=dict)
    cut_off: dict[Element, frozenset[int]] = field(default_factory=dict)

    def root(self, element: Element) -> Element | None:
        """The root a failed element belongs to (itself when it is a root)."""
        return self.root_of.get(element)

    def device_root(self, device: int) -> Element | None:
        """The root explaining a (not necessarily failed) device: itself or a cutting root."""
        own = self.root_of.get(Element("device", device))
        if own is not None:
            return own
        for r in self.roots:
            if device in self.cut_off[r]:
                return r
        return None


def _link_ends(topo: Topology) -> dict[int, tuple[int, int]]:
    ends: dict[int, tuple[int, int]] = {}
    for a, z, k in topo.graph.edges(keys=True):
        ends.setdefault(k, (a, z))  # bidirectional links: the first (A -> Z) edge
    return ends


def _cut_by(topo: Topology, root: Element) -> frozenset[int]:
    if root.kind == "link":
        return frozenset(topo.cut_off_by(failed_links=[root.id]))
    return frozenset(topo.cut_off_by(failed_devices=[root.id]))


def analyse(topo: Topology, failed_links: Collection[int],
            failed_devices: Collection[int]) -> Analysis:
    """Split the failed elements into roots and explained elements."""
    links, devs = set(failed_links), set(failed_devices)
    ends = _link_ends(topo)
    roots: list[Element] = []
    explained: list[Element] = []
    for d in sorted(devs):
        alive = topo.reachable(links, devs - {d})
        (explained if d not in alive else roots).append(Element("device", d))
    for lk in sorted(links):
        z = ends.get(lk, (None, None))[1]
        upstream_ok = z is not None and z in topo.reachable(links - {lk}, devs) and z not in devs
        (roots if upstream_ok or z is None else explained).append(Element("link", lk))
    cut = {r: _cut_by(topo, r) for r in roots}
    root_of = {r: r for r in roots}
    for e in explained:
        root_of[e] = _attribute(e, roots, cut, ends)
    return Analysis(tuple(sorted(roots)), root_of, cut)


def _attribute(e: Element, roots: list[Element], cut: dict[Element, frozenset[int]],
               ends: dict[int, tuple[int, int]]) -> Element:
    """The first root (stable order) that alone explains ``e``; else the first root."""
    ordered = sorted(roots)
    for r in ordered:
        if e.kind == "device" and e.id in cut[r]:
            return r
        if e.kind == "link":
            z = ends[e.id][1]
            if z in cut[r] or (r.kind == "device" and r.id == z):
                return r
    return ordered[0] if ordered else e

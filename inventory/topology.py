"""Topology: devices are nodes, links are edges, the provincial core is the root.

Paths follow links upwards, A (downstream) -> Z (towards the core): a commune office router
never carries transit traffic for a neighbour. Ring links between PoPs are ``bidirectional``.
Pure: built from plain tuples, no database. Used for paths to the core, for reachability
under failures (root cause, the simulator) and for "which sites does this element cut off".
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass

import networkx as nx


@dataclass(frozen=True, slots=True)
class Edge:
    """A link between two devices; ``a`` is downstream, ``z`` towards the core."""

    link_id: int
    a: int
    z: int
    bidirectional: bool = False


@dataclass(frozen=True, slots=True)
class Path:
    """One loop-free path from a device to the core: devices in order and the links between."""

    devices: tuple[int, ...]
    links: tuple[int, ...]


class Topology:
    """Directed multigraph of devices and links rooted at ``core``."""

    def __init__(self, core: int, edges: Iterable[Edge], devices: Iterable[int] = ()) -> None:
        self.core = core
        self.graph: nx.MultiDiGraph = nx.MultiDiGraph()
        self.graph.add_node(core)
        self.graph.add_nodes_from(devices)
        for e in edges:
            self.graph.add_edge(e.a, e.z, key=e.link_id)
            if e.bidirectional:
                self.graph.add_edge(e.z, e.a, key=e.link_id)

    def paths_to_core(self, device: int, limit: int = 64) -> list[Path]:
        """Every loop-free path from ``device`` to the core (at most ``limit``), shortest first."""
        if device not in self.graph:
            return []
        if device == self.core:
            return [Path((device,), ())]
        paths: list[Path] = []
        for edge_path in nx.all_simple_edge_paths(self.graph, device, self.core):
            nodes = (device, *(v for _, v, _ in edge_path))
            paths.append(Path(nodes, tuple(k for _, _, k in edge_path)))
            if len(paths) >= limit:
                break
        return sorted(paths, key=lambda p: (len(p.links), p.links))

    def reachable(
        self, failed_links: Collection[int] = (), failed_devices: Collection[int] = ()
    ) -> set[int]:
        """Devices still connected to the core when the given links and devices have failed."""
        if self.core in failed_devices:
            return set()
        dead_links = set(failed_links)
        dead_devices = set(failed_devices)
        seen = {self.core}
        stack = [self.core]
        while stack:
            node = stack.pop()
            for nbr, _, key in self.graph.in_edges(node, keys=True):
                if key in dead_links or nbr in dead_devices or nbr in seen:
                    continue
                seen.add(nbr)
                stack.append(nbr)
        return seen

    def cut_off_by(
        self, failed_links: Collection[int] = (), failed_devices: Collection[int] = ()
    ) -> set[int]:
        """Devices (other than the failed ones) that lose every path to the core."""
        alive = self.reachable(failed_links, failed_devices)
        return set(self.graph.nodes) - alive - set(failed_devices)

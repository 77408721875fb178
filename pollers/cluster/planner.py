"""The planner: which poller node polls which device (pure).

Devices belong to a *group* of nodes at one PoP. The nodes of a group are settings
(``cluster.groups[].nodes``); which group a device belongs to comes first from the inventory
(``poller_group`` of the device, else of its site), then from the settings' lists (a group
naming the device id, else its site, else its district): the inventory wins over the
settings. Each device prefers one node of its group (a stable hash, so a group's devices
are spread over its nodes); it goes to the next node of the group, in a fixed rotation, only when
its node has been silent longer than ``failover_delay_s`` **and** another node of the group has
a fresh heartbeat. A group whose nodes are all silent is never re-planned: from the centre a
cut WAN and a dead PoP look the same, and the nodes keep polling on their last plan.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from provnet.config.cluster import NodeGroup
from provnet.pollers.cluster.messages import NodePlan, PlannedDevice, PlannedSsh
from provnet.pollers.shard import shard_of


@dataclass(frozen=True, slots=True)
class DeviceSpec:
    """A device as the planner sees it (from the inventory)."""

    device_id: int
    name: str
    address: str
    port: int = 161
    device_class: str = "default"
    vendor: str = ""
    district: str | None = None
    site: str | None = None
    #: ``poller_group`` of the device and of its site in the inventory
    device_group: str | None = None
    site_group: str | None = None
    #: SSH access (endpoint, platform, profile, role) when the device has it
    ssh: PlannedSsh | None = None


def group_of(groups: Sequence[NodeGroup], d: DeviceSpec) -> NodeGroup | None:
    """The device's group (None: polled by the centre itself), most specific first: the
    inventory's group of the device, of its site, then the first settings group listing the
    device id, its site, its district. An inventory group the settings do not define is
    passed over (see :func:`unknown_groups`). The rule as a scan; the planner uses
    :class:`GroupLookup`, which gives the same answers (tested against this)."""
    by_name = {g.name: g for g in groups}
    for name in (d.device_group, d.site_group):
        if name and name in by_name:
            return by_name[name]
    for g in groups:
        if d.device_id in g.devices:
            return g
    if d.site is not None:
        for g in groups:
            if d.site in g.sites:
                return g
    if d.district is not None:
        for g in groups:
            if d.district in g.districts:
                return g
    return None


def unknown_groups(groups: Sequence[NodeGroup], devices: Iterable[DeviceSpec]
                   ) -> dict[str, int]:
    """Inventory group names the settings do not define -> how many devices name them."""
    known = {g.name for g in groups}
    out: dict[str, int] = {}
    for d in devices:
        for name in (d.device_group, d.site_group):
            if name and name not in known:
                out[name] = out.get(name, 0) + 1
    return out


class GroupLookup:
    """:func:`group_of` for many devices: dictionaries instead of a scan of every group's
    lists (a re-plan of 10,000 devices named by id in their groups took 10,000 x 5,000 list
    comparisons every ``plan_every_s``: a tenth of the centre's CPU during a catch-up)."""

    def __init__(self, groups: Sequence[NodeGroup]) -> None:
        self.groups = list(groups)
        self._name = {g.name: g for g in self.groups}
        self._device: dict[int, NodeGroup] = {}
        self._site: dict[str, NodeGroup] = {}
        self._district: dict[str, NodeGroup] = {}
        for g in self.groups:  # in each list, the first group naming a key wins
            for device_id in g.devices:
                self._device.setdefault(device_id, g)
            for site in g.sites:
                self._site.setdefault(site, g)
            for district in g.districts:
                self._district.setdefault(district, g)

    def __call__(self, d: DeviceSpec) -> NodeGroup | None:
        """The device's group, most specific first (see :func:`group_of`)."""
        for name in (d.device_group, d.site_group):
            if name and name in self._name:
                return self._name[name]
        found = self._device.get(d.device_id)
        if found is None and d.site is not None:
            found = self._site.get(d.site)
        if found is None and d.district is not None:
            found = self._district.get(d.district)
        return found


def _preferred(device_id: int, nodes: Sequence[str]) -> int:
    return shard_of(device_id, len(nodes))


def assign(devices: Iterable[DeviceSpec], groups: Sequence[NodeGroup],
           last_seen: Mapping[str, float], now: float, failover_delay_s: float,
           previous: Mapping[int, str], since: float) -> dict[int, str]:
    """Device id -> node for every device of a group.

    ``last_seen``: node -> when the centre last had a heartbeat of it; a node not heard of
    since the centre started (``since``) counts from then, so a restart moves nothing.
    """
    def fresh(node: str) -> bool:
        return now - last_seen.get(node, since) <= failover_delay_s

    out: dict[int, str] = {}
    lookup = GroupLookup(groups)
    for d in devices:
        g = lookup(d)
        if g is None:
            continue
        first = _preferred(d.device_id, g.nodes)
        rotation = [g.nodes[(first + k) % len(g.nodes)] for k in range(len(g.nodes))]
        alive = [n for n in rotation if fresh(n)]
        if alive:
            out[d.device_id] = alive[0]
        else:  # the whole group is silent: keep the last assignment (never move blind),
            # unless it is a node of another group (the inventory moved the device)
            last = previous.get(d.device_id)
            out[d.device_id] = last if last in g.nodes else rotation[0]
    return out


def node_plans(devices: Iterable[DeviceSpec], assignment: Mapping[int, str],
               groups: Sequence[NodeGroup], interval_s: float, shards: int,
               previous: Mapping[str, NodePlan]) -> dict[str, NodePlan]:
    """One plan per node of every group (empty for a node with nothing to poll); a plan's
    version grows only when its content changes."""
    mine: dict[str, list[PlannedDevice]] = {n: [] for g in groups for n in g.nodes}
    for d in sorted(devices, key=lambda x: x.device_id):
        node = assignment.get(d.device_id)
        if node is None:
            continue
        mine.setdefault(node, []).append(PlannedDevice(
            d.device_id, d.name, d.address, d.port, shard_of(d.device_id, shards),
            d.device_class, d.vendor, d.ssh))
    out: dict[str, NodePlan] = {}
    for node, planned in mine.items():
        prev = previous.get(node)
        plan = NodePlan(node, prev.version if prev else 1, interval_s, shards, tuple(planned))
        if prev is not None and (prev.devices, prev.interval_s, prev.shards) != (
                plan.devices, plan.interval_s, plan.shards):
            plan = NodePlan(node, prev.version + 1, interval_s, shards, plan.devices)
        out[node] = plan
    return out

"""Remote poller nodes attached to the centre (``cluster.enabled``): the hub consumer feeds
every node's results into the service's data path (live state, TSDB, alert consumers) through
one :class:`~pollers.cluster.messages.ResultSink` chain, and the planner writes the nodes'
plans. The devices of the groups are not polled by this process (``service.remote_devices``).

``sinks`` lets another feature slot in its own sink (the alerts' event-time gate) after the
result feed. The nodes' ICMP sweeps and traps (:mod:`pollers.cluster.collect`) reach the live
state, the TSDB and the alerts as local probes and confirmed traps do (:class:`NodeCollect`);
the centre pings none of the nodes' devices (``features/icmp.py`` probes
``service.local_targets()``)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from provnet.inventory import queries
from provnet.inventory.configs import SshAccess, ssh_access
from provnet.inventory.queries import DeviceRecord
from provnet.pollers.cluster.centre import Centre, FeedStats, ResultFeed
from provnet.pollers.cluster.collect import IcmpSweep, TrapNote
from provnet.pollers.cluster.collectfeed import CollectFeed
from provnet.pollers.cluster.messages import Batch, Heartbeat, PlannedSsh, ResultSink
from provnet.pollers.cluster.natslink import HubLink, connect
from provnet.pollers.cluster.planner import DeviceSpec, GroupLookup, unknown_groups
from provnet.pollers.cluster.sshmsg import ConfigNote, OpticsNote
from provnet.pollers.live import LiveState
from provnet.pollers.plan import PollPlan
from provnet.pollers.readings import reading_points
from provnet.pollers.ssh.jobs import store_config
from provnet.pollers.ssh.samples import optic_points
from provnet.pollers.traps import trap_point
from provnet.pollers.types import IfRates, PollResult
from provnet.tsdb.points import FieldValue, Point

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from provnet.alerts.runner import AlertsHandle, NodeSink
    from provnet.inventory.store import Store
    from provnet.service import Service

log = logging.getLogger(__name__)


@dataclass
class ClusterHandle:
    """What the feature exposes: the feed's figures, the running centre (once connected)."""

    stats: FeedStats
    sinks: list[ResultSink]
    collect: CollectFeed | None = None
    centre: Centre | None = None
    _specs: tuple[int, list[DeviceSpec]] = field(default=(0, []))
    _devices: Callable[[], list[DeviceSpec]] | None = None

    def refresh(self) -> None:
        """The inventory changed (the watch rebuilt the plan): take over its devices and
        groups now (the centre stops polling devices that went to a node) and re-plan at
        the centre's next turn instead of at its next ``plan_every_s``."""
        if self._devices is not None:
            self._devices()
        if self.centre is not None:
            self.centre.replan_soon()


class AlertGate:
    """The :class:`ResultSink` handing each batch and heartbeat to the alerts' event-time
    entry (``alerts/eventfeed.py`` ``NodeFeed``): watermarks per node, silent nodes, late
    incidents. A heartbeat of tick T says every batch up to T was published: event time
    T x interval."""

    def __init__(self, nodes: NodeSink) -> None:
        self.nodes = nodes
        self._last: dict[tuple[str, int], int] = {}  # (node, shard) -> last tick passed on
        self.redelivered = 0

    def accept(self, batch: Batch) -> None:
        """The batch's results with the node's rates, at the tick's event time (a batch
        redelivered after a lost ack is passed on once)."""
        key = (batch.node, batch.shard)
        if batch.tick <= self._last.get(key, -1):
            self.redelivered += 1
            return
        self._last[key] = batch.tick
        self.nodes.accept_batch(batch.node, batch.event_time,
                                [d.poll_result() for d in batch.results])

    def heartbeat(self, hb: Heartbeat) -> None:
        """The node's watermark."""
        self.nodes.heartbeat(hb.node, hb.tick * hb.interval_s)


class NodeCollect:
    """A node's ICMP sweeps and traps into the centre's data path, as local ones: the live
    state, points for the TSDB (at the reading's / trap's own time) and the alerts (on event
    time through ``nodes`` when there is that entry, else as local readings and traps). A
    link trap pages only when the node's confirming poll said ``confirmed``."""

    def __init__(self, live: LiveState, queue_points: Callable[[list[Point]], None],
                 tags_of: Callable[[int], Mapping[str, str]],
                 alerting: AlertsHandle | None, store: Store | None = None) -> None:
        self.live, self.queue_points, self.tags_of = live, queue_points, tags_of
        self.alerting, self.store = alerting, store
        self._configs: list[ConfigNote] = []
        self.unconfirmed = 0
        #: configurations stored as a new version (first ones included)
        self.config_versions = 0

    def optics(self, note: OpticsNote) -> None:
        """A node's SSH optic readings, as the centre's own SSH collection's: points at the
        session's time and the alerts' optics entry (``OpticPrecedence`` decides between
        them and the SNMP readings)."""
        tags = self.tags_of(note.device_id)
        self.queue_points(optic_points(list(note.readings), tags, note.started))
        if self.alerting is not None:
            self.alerting.on_optics(note.device_id, list(note.readings), note.started)

    def config(self, note: ConfigNote) -> None:
        """A node's configuration backup, for the configuration store at the next
        :meth:`commit` (before the message is acknowledged)."""
        if self.store is not None:
            self._configs.append(note)

    def _store(self, notes: list[ConfigNote]) -> list[Point]:
        assert self.store is not None
        points: list[Point] = []
        for note in notes:
            tags = self.tags_of(note.device_id)
            res, more = store_config(self.store, note.device_id, tags.get("device", ""),
                                     note.text, note.started, tags)
            self.config_versions += res.changed
            points += more
        return points

    async def commit(self) -> None:
        """Store the backups handed on since the last commit, as the centre's own backups
        (``store_config``: a new version only if it changed; a change is a
        ``config_change`` point), in a worker thread: SQL off the event loop."""
        notes, self._configs = self._configs, []
        if notes:
            self.queue_points(await asyncio.to_thread(self._store, notes))

    def sweep(self, sweep: IcmpSweep) -> None:
        """Every reading of one sweep (already de-duplicated by :class:`CollectFeed`)."""
        points: list[Point] = []
        for item in sweep.readings:
            self.live.update_icmp(item.device_id, item.reading, item.t)
            points += reading_points([item.reading], self.tags_of(item.device_id),
                                     round(item.t * 1e6) * 1000)
        self.queue_points(points)
        a = self.alerting
        if a is not None and a.nodes is not None:
            a.nodes.accept_icmp(sweep.node, sweep.started,
                                [(i.device_id, i.reading, i.t) for i in sweep.readings])
        elif a is not None:
            for i in sweep.readings:
                a.on_icmp(i.device_id, i.reading, i.t)

    def trap(self, note: TrapNote) -> None:
        """One trap: its point (with the node and the verdict); a confirmed link trap
        also sets the interface's state at once and goes to the alerts."""
        event, dev = note.event, note.device_id
        extra: dict[str, FieldValue] = {"node": note.node}
        if note.verdict is not None:
            extra.update(verdict=note.verdict, confirmed=note.verdict == "confirmed")
        self.queue_points([trap_point(event, dict(self.tags_of(dev)), extra)])
        up = event.oper_up
        if up is not None and event.ifindex is not None:
            if note.verdict != "confirmed":
                self.unconfirmed += 1
                log.warning("trap %s from %s (device %d, ifIndex %s) NOT confirmed by node "
                            "%s's poll (%s): nobody is paged", event.kind, event.source, dev,
                            event.ifindex, note.node, note.verdict)
                return
            self.live.apply_trap(dev, event.ifindex, up, event.time)
        a = self.alerting
        if a is not None and a.nodes is not None and up is not None:
            a.nodes.accept_trap(note.node, event, dev)
        elif a is not None:
            a.on_trap(event, dev)


def planned_ssh(rec: DeviceRecord, acc: SshAccess | None) -> PlannedSsh | None:
    """What a node needs to reach ``rec`` over SSH (None: no SSH access), as the centre's
    own plan reads it (``pollers/ssh/plan.py``): endpoint, else the management address."""
    if acc is None:
        return None
    return PlannedSsh(acc.host or rec.mgmt_address, acc.port or 22, rec.platform,
                      acc.ssh_profile, rec.role)


def attach(service: Service, alerting: AlertsHandle | None = None,
           sinks: Sequence[ResultSink] = ()) -> ClusterHandle | None:
    """Consume the hub and plan the nodes (None when ``cluster.enabled`` is off).

    With ``alerting`` (and its event-time entry), the nodes' results reach the alerts only
    through :class:`AlertGate`, not as local polls."""
    cfg = service.settings.cluster
    if not cfg.enabled:
        return None
    stats = FeedStats()
    nodes = alerting.nodes if alerting is not None else None
    if nodes is not None:
        def on_result(result: PollResult, rates: dict[int, IfRates]) -> None:
            service.on_result(result, rates, skip=alerting)
        gates: list[ResultSink] = [ResultFeed(on_result, stats), AlertGate(nodes)]
    else:
        gates = [ResultFeed(service.on_result, stats)]
    handle = ClusterHandle(stats, [*gates, *sinks])
    wiring = NodeCollect(service.live, service.queue_points,
                         lambda d: service.plan.device_tags.get(d, {"device": str(d)}),
                         alerting, service.store)
    collect = handle.collect = CollectFeed(wiring.sweep, wiring.trap,
                                           on_optics=wiring.optics, on_config=wiring.config)

    def specs_of(plan: PollPlan) -> list[DeviceSpec]:
        with service.store.session() as s:
            records = {d.id: d for d in queries.devices(s)}
            access = ssh_access(s)
        out = []
        for t in plan.targets:
            rec = records.get(t.device_id)
            out.append(DeviceSpec(
                t.device_id, t.name, t.address, t.port,
                plan.profile_for(t.device_id).class_name, rec.vendor if rec else "",
                rec.district_code if rec else None, rec.site_code if rec else None,
                rec.device_group if rec else None, rec.site_group if rec else None,
                planned_ssh(rec, access.get(t.device_id)) if rec else None))
        unknown = unknown_groups(cfg.groups, out)
        if unknown:
            log.warning("cluster: poller_group not in cluster.groups (ignored, the settings' "
                        "lists decide): %s", ", ".join(f"{n} ({c} devices)"
                                                       for n, c in sorted(unknown.items())))
        return out

    def devices() -> list[DeviceSpec]:
        plan = service.plan
        if handle._specs[0] != id(plan):  # the plan is rebuilt when the inventory changes
            specs = specs_of(plan)
            handle._specs = (id(plan), specs)
            lookup = GroupLookup(cfg.groups)
            service.remote_devices = frozenset(
                d.device_id for d in specs if lookup(d) is not None)
        return handle._specs[1]

    handle._devices = devices
    devices()  # the centre never polls the nodes' devices, from the first cycle on
    interval = cfg.interval_s or service.settings.poller.interval_s

    async def run(stop: asyncio.Event) -> None:
        nc = await connect(cfg.hub_urls, "provnet-centre", stop)
        try:
            async def commit() -> None:  # backups stored, then points flushed, then ack
                await wiring.commit()
                await service.flush()
            handle.centre = Centre(HubLink(nc), cfg, handle.sinks, commit, devices,
                                   interval, stats, collect=[collect])
            await handle.centre.run(stop)
        finally:
            await nc.close()

    service.background.append(("cluster", run))
    log.info("cluster: %d node groups, hub %s", len(cfg.groups), ", ".join(cfg.hub_urls))
    return handle

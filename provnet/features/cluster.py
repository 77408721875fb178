"""Remote poller nodes attached to the centre (``cluster.enabled``): the hub consumer feeds
every node's results into the service's data path (live state, TSDB, alert consumers) through
one :class:`~pollers.cluster.messages.ResultSink` chain, and the planner writes the nodes'
plans. The devices of the groups are not polled by this process (``service.remote_devices``).

``sinks`` lets another feature slot in its own sink (the alerts' event-time gate) after the
result feed."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from provnet.inventory import queries
from provnet.pollers.cluster.centre import Centre, FeedStats, ResultFeed
from provnet.pollers.cluster.messages import Batch, Heartbeat, ResultSink
from provnet.pollers.cluster.natslink import HubLink, connect
from provnet.pollers.cluster.planner import DeviceSpec, GroupLookup
from provnet.pollers.plan import PollPlan
from provnet.pollers.types import IfRates, PollResult

if TYPE_CHECKING:
    import asyncio

    from provnet.alerts.runner import AlertsHandle, NodeSink
    from provnet.service import Service

log = logging.getLogger(__name__)


@dataclass
class ClusterHandle:
    """What the feature exposes: the feed's figures, the running centre (once connected)."""

    stats: FeedStats
    sinks: list[ResultSink]
    centre: Centre | None = None
    _specs: tuple[int, list[DeviceSpec]] = field(default=(0, []))


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

    def specs_of(plan: PollPlan) -> list[DeviceSpec]:
        with service.store.session() as s:
            records = {d.id: d for d in queries.devices(s)}
        out = []
        for t in plan.targets:
            rec = records.get(t.device_id)
            out.append(DeviceSpec(
                t.device_id, t.name, t.address, t.port,
                plan.profile_for(t.device_id).class_name, rec.vendor if rec else "",
                rec.district_code if rec else None, rec.site_code if rec else None))
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

    devices()  # the centre never polls the nodes' devices, from the first cycle on
    interval = cfg.interval_s or service.settings.poller.interval_s

    async def run(stop: asyncio.Event) -> None:
        nc = await connect(cfg.hub_urls, "provnet-centre", stop)
        try:
            handle.centre = Centre(HubLink(nc), cfg, handle.sinks, service.flush, devices,
                                   interval, stats)
            await handle.centre.run(stop)
        finally:
            await nc.close()

    service.background.append(("cluster", run))
    log.info("cluster: %d node groups, hub %s", len(cfg.groups), ", ".join(cfg.hub_urls))
    return handle

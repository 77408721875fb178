"""Remote poller nodes into the alerting: the interface the transport's consumer calls.

``accept_batch(node, event_time, results)`` and ``heartbeat(node, event_time)`` are called on
the event loop by whatever consumes the nodes' stream (``provnet agent`` over NATS). Each is
checked (:meth:`alerts.eventtime.EventTime.admit`: absurd event times are rejected and
counted), turned into observations exactly as local polls are (:mod:`alerts.observe`) and
queued as a job of the alert worker, in arrival order (a node's stream keeps its order), so a
backlog is evaluated in event-time order with the node's clock moving forward only. Every
``check_interval_s`` a job checks silence and catch-up: a silent node gives ``node.up`` = 0
(the ``poller_node_unreachable`` rule: one incident), its devices become unknown (local
observations about them are screened out, its alerts' timers stand still), and once it has
caught up what was held is released (:mod:`alerts.latecomers`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable, Mapping
from functools import partial
from typing import Any

from provnet.alerts.engine import Observation
from provnet.alerts.eventtime import EventTime, NodeChange
from provnet.alerts.latecomers import Released, release
from provnet.alerts.model import Alert
from provnet.alerts.notify.types import Notification
from provnet.alerts.observe import CycleCollector, trap_observations
from provnet.alerts.readings import icmp_observations, optic_observations
from provnet.alerts.runner import AlertsHandle
from provnet.config.eventtime import EventTimeSettings
from provnet.pollers.readings import IcmpReading, OpticReading
from provnet.pollers.traps import TrapEvent
from provnet.pollers.types import IfRates, PollResult

log = logging.getLogger(__name__)
#: one device's result of a batch, with the rates the node computed (or without)
DeviceResult = PollResult | tuple[PollResult, Mapping[int, IfRates]]


class NodeFeed:
    """Event-time alerting for remote poller nodes, on top of one :class:`AlertsHandle`."""

    def __init__(self, handle: AlertsHandle, settings: EventTimeSettings,
                 clock: Callable[[], float], escalate_after_s: float) -> None:
        self.handle, self.settings, self.clock = handle, settings, clock
        self.escalate_after_s = escalate_after_s
        self.tracker = EventTime(settings)
        self.released: list[Released] = []
        handle.book.engine.clock_for = self.tracker.clock_for
        handle.book.hold = self._hold
        handle.screen = self.tracker.screen
        handle.nodes = self

    # --- called by the transport's consumer (event loop) ----------------------------------
    def accept_batch(self, node: str, event_time: float,
                     results: Iterable[DeviceResult]) -> bool:
        """One (node, shard, tick) batch; False when its event time was rejected."""
        if not self._admit(node, event_time, "batch"):
            return False
        c = self.handle.collector
        coll = CycleCollector(c.device_labels, c.link_ends, c.link_labels)
        devices: list[int] = []
        fresh: list[Observation] = []
        for item in results:
            result, rates = item if isinstance(item, tuple) else (item, {})
            coll.on_result(result, rates)
            dev = result.target.device_id
            devices.append(dev)
            labels = c.device_labels.get(dev, {"device_id": str(dev)})
            fresh.append(Observation(f"device:{dev}", "poll.fresh", 1.0, result.started, labels))
            optics = [r for r in result.readings if isinstance(r, OpticReading)]
            if optics:  # as a local poll's (alerts.runner.AlertsHandle.on_optics)
                admitted = self.handle.optics.admit(dev, optics, result.started)
                fresh += optic_observations(dev, admitted, result.started, labels,
                                            c.link_ends.get(dev))
        obs = coll.flush() + fresh
        self.handle.submit(partial(self._evaluate, node, event_time, obs, devices))
        return True

    def heartbeat(self, node: str, event_time: float) -> bool:
        """The node was alive at ``event_time`` and everything before it was published:
        its watermark moves even with nothing to poll. False when rejected."""
        if not self._admit(node, event_time, "heartbeat"):
            return False
        self.handle.submit(partial(self._evaluate, node, event_time, [], []))
        return True

    def accept_icmp(self, node: str, event_time: float,
                    readings: Iterable[tuple[int, IcmpReading, float]]) -> bool:
        """One ICMP sweep of ``node`` (started at ``event_time``): observed as a local
        probe's (``AlertsHandle.on_icmp``), evaluated in the node's order. False: rejected."""
        if not self._admit(node, event_time, "ICMP sweep"):
            return False
        labels = self.handle.collector.device_labels
        obs = [o for dev, reading, t in readings for o in icmp_observations(
            dev, reading, t, labels.get(dev, {"device_id": str(dev)}))]
        self.handle.submit(partial(self._evaluate, node, event_time, obs, []))
        return True

    def accept_trap(self, node: str, event: TrapEvent, device_id: int) -> bool:
        """A link trap ``node`` received and confirmed by its own poll: an event batch as a
        local confirmed trap's (``AlertsHandle.on_trap``: not a poll confirmation), in the
        node's order. False: rejected (or not a link trap)."""
        up = event.oper_up
        if up is None or event.ifindex is None:
            return False
        if not self._admit(node, event.time, "trap"):
            return False
        c = self.handle.collector
        obs = trap_observations(device_id, event.ifindex, up, event.time, c.link_ends,
                                c.link_labels, event.admin_status)
        self.handle.submit(partial(self._evaluate, node, event.time, obs, [], False))
        return True

    def _admit(self, node: str, event_time: float, what: str) -> bool:
        reason = self.tracker.admit(node, event_time, self.clock())
        if reason is not None:
            log.warning("node %s: %s at %.0f rejected (%s), %d so far", node, what,
                        event_time, reason, self.tracker.rejected[(node, reason)])
        return reason is None

    # --- in the alert worker ---------------------------------------------------------------
    def _evaluate(self, node: str, t: float, obs: list[Observation],
                  devices: list[int], confirm: bool = True) -> list[Notification]:
        self.tracker.evaluated(node, t, obs, devices)
        if not confirm:  # a trap's event batch, on its own (alerts.runner.AlertsHandle.on_trap)
            sent = self.handle.book.process(obs, False)
            return sent + self._apply(self.tracker.check(self.clock()), always=False)
        batch = obs + self.tracker.stale(node, self.handle.collector.device_labels)
        sent = self.handle.book.process(batch, True)
        return sent + self._apply(self.tracker.check(self.clock()), always=False)

    def _tick(self) -> list[Notification]:
        return self._apply(self.tracker.check(self.clock()), always=True)

    def _apply(self, changes: list[NodeChange], always: bool) -> list[Notification]:
        now = self.clock()
        for ch in changes:
            log.warning("node %s: %s", ch.node, ch.change.replace("_", " "))
        sent: list[Notification] = []
        for ch in changes:  # before any evaluation sees the node live and fires normally
            if ch.change == "caught_up" and ch.window is not None:
                sent += self._release(ch, now)
        if always or changes:
            sent += self.handle.book.process(self.tracker.node_observations(now), True)
        return sent

    def _release(self, ch: NodeChange, now: float) -> list[Notification]:
        assert ch.window is not None
        since = ch.silent_at if ch.silent_at is not None else now
        with self.handle.book.store.session() as s:
            r = release(s, ch.node, ch.window, since, now, self.escalate_after_s)
        self.released.append(r)
        log.warning("node %s caught up: %d incident(s) detected late, %d in a digest",
                    ch.node, len(r.late), len(r.digested))
        return self.handle.book.deliver(list(r.decisions))

    def _hold(self, members: Iterable[Alert]) -> str | None:
        for m in members:
            node = self.tracker.blind_owner(m.entity, {k: str(v) for k, v in
                                                       (m.labels or {}).items()})
            if node is not None:
                return node
        return None

    # --- background task and status --------------------------------------------------------
    async def run(self, stop: asyncio.Event) -> None:
        """Queue a silence/catch-up check every ``check_interval_s`` until ``stop``."""
        while not stop.is_set():
            try:
                await asyncio.wait_for(stop.wait(), self.settings.check_interval_s)
            except TimeoutError:
                if self.tracker.nodes:
                    self.handle.submit(self._tick)

    def status(self) -> dict[str, Any]:
        """Per node: phase, watermark, lag, devices; rejected event times; screened count."""
        now = self.clock()
        nodes = {}
        for st in self.tracker.nodes.values():
            nodes[st.name] = {
                "phase": st.phase, "watermark": st.clock, "received": st.received,
                "lag_s": None if st.clock is None else max(0.0, now - st.clock),
                "devices": len(st.devices)}
        rejected: dict[str, dict[str, int]] = {}
        for (node, reason), n in sorted(self.tracker.rejected.items()):
            rejected.setdefault(node, {})[reason] = n
        return {"nodes": nodes, "rejected": rejected, "screened": self.tracker.screened,
                "unknown_devices": sorted(self.tracker.unknown_devices())}

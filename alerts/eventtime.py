"""Event time of remote poller nodes: watermarks, silence, catch-up and guards (pure).

A remote node (``provnet agent``) stamps every batch and heartbeat with the time it was taken
(event time). Per node this module keeps:

* ``received``: the newest event time handed in (batches and heartbeats), on which the
  guards are based; ``clock``: the newest event time *evaluated*, the clock of every entity
  the node polls (:attr:`alerts.engine.Engine.clock_for`). Both only move forward, so the
  engine never sees a node's time go backwards; a silent node's clock stands still, so
  absence rules (``poll.fresh``: no result for ``stale_after_s``) and every timer of its
  alerts are evaluated only up to its watermark, never on the centre's wall clock.
* a phase: ``live`` -> ``silent`` (nothing for ``silent_after_s`` of wall clock: one "poller
  node unreachable" incident, its devices ``unknown``) -> ``catching_up`` (it is heard again,
  its backlog is evaluated in event-time order, incidents it raises are held) -> ``live``
  (its watermark is within ``caught_up_lag_s`` of the wall clock: held incidents are
  released, :mod:`alerts.latecomers`).
* guards: an event time further than ``max_future_s`` ahead of the wall clock (``future``),
  older than ``retention_s`` (``expired``), or older than the node's newest event time by
  more than ``allowed_reorder_s`` (``reordered``) is rejected and counted per node and reason.

The wall clock is passed in (``now``); nothing here does I/O.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from provnet.alerts.engine import Observation
from provnet.config.eventtime import EventTimeSettings

Phase = Literal["live", "silent", "catching_up"]
Reason = Literal["future", "expired", "reordered"]
Change = Literal["silent", "returned", "caught_up"]


@dataclass(slots=True)
class NodeState:
    """What the centre knows of one remote node."""

    name: str
    phase: Phase = "live"
    received: float | None = None  # newest event time handed in
    arrived: float | None = None  # wall time of the last arrival
    clock: float | None = None  # newest event time evaluated: its entities' clock
    silent_at: float | None = None  # wall time it was found silent
    blind_since: float | None = None  # event time last heard before it went silent
    devices: dict[int, float] = field(default_factory=dict)  # device -> newest result time


@dataclass(frozen=True, slots=True)
class NodeChange:
    """A phase change: ``window`` is (event time last heard, event time caught up at) of a
    ``caught_up``; ``silent_at`` the wall time the node went silent."""

    node: str
    change: Change
    window: tuple[float, float] | None = None
    silent_at: float | None = None


def device_of(entity: str, labels: Mapping[str, str] | None = None) -> int | None:
    """The device an entity belongs to: ``device:7``, ``if:7:3`` or a ``device_id`` label."""
    kind, _, rest = entity.partition(":")
    head = rest.split(":", 1)[0]
    if kind in ("device", "if") and head.isdigit():
        return int(head)
    dev = (labels or {}).get("device_id", "")
    return int(dev) if dev.isdigit() else None


class EventTime:
    """Watermarks, phases, ownership and guards of every remote node."""

    def __init__(self, settings: EventTimeSettings) -> None:
        self.settings = settings
        self.nodes: dict[str, NodeState] = {}
        self.owner: dict[str, str] = {}  # entity -> node that observed it last
        self.device_owner: dict[int, str] = {}
        self.rejected: Counter[tuple[str, str]] = Counter()  # (node, reason) -> count
        self.screened = 0  # local observations dropped: what a blind node polls

    # --- arrival (the transport's consumer) -----------------------------------------------
    def admit(self, node: str, t: float, now: float) -> Reason | None:
        """Check one batch or heartbeat of ``node`` at event time ``t``; None: accepted
        (the node's ``received`` and ``arrived`` move), else the reason, counted."""
        s = self.settings
        st = self.nodes.get(node)
        reason: Reason | None = None
        if t > now + s.max_future_s:
            reason = "future"
        elif t < now - s.retention_s:
            reason = "expired"
        elif st is not None and st.received is not None and t < st.received - s.allowed_reorder_s:
            reason = "reordered"
        if reason is not None:
            self.rejected[(node, reason)] += 1
            return reason
        if st is None:  # first heard with an old backlog: catching up from the start
            st = self.nodes[node] = NodeState(node)
            if t < now - s.caught_up_lag_s:
                st.phase, st.silent_at, st.blind_since = "catching_up", now, t
        st.received = t if st.received is None else max(st.received, t)
        st.arrived = now
        return None

    # --- evaluation (the alert worker) ----------------------------------------------------
    def evaluated(self, node: str, t: float, observations: Iterable[Observation],
                  devices: Iterable[int] = ()) -> float:
        """A batch (or heartbeat: no observations) of ``node`` at ``t`` is being evaluated:
        its entities now follow the node's clock, which moves to ``t`` if later. Returns the
        node's clock."""
        st = self.nodes.setdefault(node, NodeState(node))
        for dev in devices:
            st.devices[dev] = max(t, st.devices.get(dev, t))
            before = self.device_owner.get(dev)
            if before is not None and before != node:  # re-planned: no longer the old one's
                self.nodes[before].devices.pop(dev, None)
            self.device_owner[dev] = node
        for o in observations:
            self.owner[o.entity] = node
        st.clock = t if st.clock is None else max(st.clock, t)
        return st.clock

    def stale(self, node: str, labels: Mapping[int, Mapping[str, str]]) -> list[Observation]:
        """The absence rule up to the node's watermark: ``poll.fresh`` = 0 for each of its
        devices without a result for ``stale_after_s`` of the node's event time."""
        st = self.nodes.get(node)
        if st is None or st.clock is None:
            return []
        limit = st.clock - self.settings.stale_after_s
        return [Observation(f"device:{d}", "poll.fresh", 0.0, st.clock,
                            labels.get(d, {"device_id": str(d)}))
                for d, last in sorted(st.devices.items()) if last < limit]

    def check(self, now: float) -> list[NodeChange]:
        """Phase changes at wall time ``now``."""
        s = self.settings
        out: list[NodeChange] = []
        for st in self.nodes.values():
            heard = st.arrived is not None and now - st.arrived <= s.silent_after_s
            if st.phase == "live" and not heard:
                st.phase, st.silent_at = "silent", now
                st.blind_since = st.clock if st.clock is not None else st.received
                out.append(NodeChange(st.name, "silent", silent_at=now))
            elif st.phase == "silent" and heard:
                st.phase = "catching_up"
                out.append(NodeChange(st.name, "returned", silent_at=st.silent_at))
            if (st.phase == "catching_up" and st.clock is not None
                    and st.clock >= now - s.caught_up_lag_s):
                st.phase = "live"
                since = st.blind_since if st.blind_since is not None else st.clock
                out.append(NodeChange(st.name, "caught_up", (since, st.clock), st.silent_at))
        return out

    # --- what the engine and the incident book ask -----------------------------------------
    def clock_for(self, entity: str) -> float | None:
        """The clock of ``entity``: its node's event time, None (wall clock) for the rest."""
        node = self.owner.get(entity)
        st = self.nodes.get(node) if node is not None else None
        return st.clock if st is not None else None

    def blind_owner(self, entity: str, labels: Mapping[str, str] | None = None) -> str | None:
        """The node polling ``entity`` when that node is not live (silent or catching up)."""
        node = self.owner.get(entity)
        if node is None:
            dev = device_of(entity, labels)
            node = self.device_owner.get(dev) if dev is not None else None
        st = self.nodes.get(node) if node is not None else None
        return st.name if st is not None and st.phase != "live" else None

    def screen(self, observations: list[Observation]) -> list[Observation]:
        """Local observations minus those about what a blind node polls (counted)."""
        kept = [o for o in observations if self.blind_owner(o.entity, o.labels) is None]
        self.screened += len(observations) - len(kept)
        return kept

    def unknown_devices(self) -> dict[int, str]:
        """device -> node, for every device polled by a node that is not live."""
        return {d: n for d, n in self.device_owner.items() if self.nodes[n].phase != "live"}

    def node_observations(self, now: float) -> list[Observation]:
        """``node.up`` of every node (0 while silent), on the centre's clock."""
        return [Observation(f"node:{st.name}", "node.up", 0.0 if st.phase == "silent" else 1.0,
                            now, {"node": st.name, "devices": str(len(st.devices))})
                for st in self.nodes.values()]

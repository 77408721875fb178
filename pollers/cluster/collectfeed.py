"""The centre's sink for the nodes' ICMP sweeps and traps: each once, in order (pure).

Delivery from the hub is at least once (a message whose ack was lost comes again). The
stream already stores each ``Nats-Msg-Id`` once; :class:`CollectFeed` drops a redelivered
message by the same id (the last ``remember`` ids), and an ICMP reading not newer than the
device's last one (a late sweep from a node the device was moved away from). The same holds
for the nodes' SSH optics and configuration notes (:mod:`pollers.cluster.sshmsg`): each
handed on once, and not when the device already had a newer one of its kind.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, replace

from provnet.pollers.cluster.collect import IcmpSweep, TrapNote
from provnet.pollers.cluster.sshmsg import ConfigNote, OpticsNote


@dataclass
class CollectCounts:
    """What the feed passed on and dropped."""

    sweeps: int = 0
    readings: int = 0
    traps: int = 0
    redelivered: int = 0
    old_readings: int = 0
    optics: int = 0
    configs: int = 0
    #: optics / configuration notes older than the device's last one
    old_notes: int = 0


class CollectFeed:
    """Hands each sweep (its new readings only) and each trap note on once."""

    def __init__(self, on_sweep: Callable[[IcmpSweep], None],
                 on_trap: Callable[[TrapNote], None], remember: int = 100_000,
                 on_optics: Callable[[OpticsNote], None] | None = None,
                 on_config: Callable[[ConfigNote], None] | None = None) -> None:
        self._on_sweep, self._on_trap, self._remember = on_sweep, on_trap, remember
        self._on_optics, self._on_config = on_optics, on_config
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._last: dict[int, float] = {}
        self._last_note: dict[tuple[str, int], float] = {}
        self.counts = CollectCounts()

    def _first(self, msg_id: str) -> bool:
        if msg_id in self._seen:
            self.counts.redelivered += 1
            return False
        self._seen[msg_id] = None
        if len(self._seen) > self._remember:
            self._seen.popitem(last=False)
        return True

    def icmp(self, sweep: IcmpSweep) -> None:
        """A node's sweep: the readings newer than each device's last one."""
        if not self._first(sweep.msg_id):
            return
        fresh = []
        for item in sweep.readings:
            if item.t <= self._last.get(item.device_id, float("-inf")):
                self.counts.old_readings += 1
                continue
            self._last[item.device_id] = item.t
            fresh.append(item)
        if fresh:
            self.counts.sweeps += 1
            self.counts.readings += len(fresh)
            self._on_sweep(replace(sweep, readings=tuple(fresh)))

    def trap(self, note: TrapNote) -> None:
        """A trap a node received, once."""
        if self._first(note.msg_id):
            self.counts.traps += 1
            self._on_trap(note)

    def _newer(self, kind: str, device_id: int, started: float) -> bool:
        last = self._last_note.get((kind, device_id), float("-inf"))
        if started <= last:
            self.counts.old_notes += 1
            return False
        self._last_note[(kind, device_id)] = started
        return True

    def optics(self, note: OpticsNote) -> None:
        """One device's optic readings from a node's SSH collection, once."""
        if self._first(note.msg_id) and self._newer("o", note.device_id, note.started):
            self.counts.optics += 1
            if self._on_optics is not None:
                self._on_optics(note)

    def config(self, note: ConfigNote) -> None:
        """One device's configuration from a node's backup, once (not an older one after
        a newer: the store would take it for a change)."""
        if self._first(note.msg_id) and self._newer("c", note.device_id, note.started):
            self.counts.configs += 1
            if self._on_config is not None:
                self._on_config(note)

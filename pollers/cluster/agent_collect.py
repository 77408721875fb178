"""A node's other collectors: ICMP sweeps and the trap receiver, for the devices of its plan.

Both use the code ``provnet serve`` runs (:func:`pollers.icmp.icmp_loop` with a
:class:`~pollers.icmp.Pinger`; :class:`~pollers.traps.TrapReceiver` and
:func:`~pollers.trapconfirm.verdict`) and hand what they produce to ``emit`` (the agent's
outbox and publisher) as :mod:`pollers.cluster.collect` messages.

A link trap is confirmed **here**, by an immediate poll of the device from the node: the node
holds the device's community (the plan carries no secrets), it is on the device's side of the
WAN (so a trap is confirmed during a cut too, at once rather than after the backlog), and the
centre cannot reach the device anyway. The note carries the verdict; the centre pages only on
``confirmed`` (the leafnode link is authenticated with the node's certificate).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from provnet.config.icmp import IcmpSettings
from provnet.config.traps import TrapSettings
from provnet.pollers.cluster.collect import IcmpItem, IcmpSweep, TrapNote
from provnet.pollers.cluster.messages import NodePlan, PlannedDevice
from provnet.pollers.icmp import Pinger, icmp_loop
from provnet.pollers.readings import IcmpReading
from provnet.pollers.scheduler import Poller
from provnet.pollers.trapconfirm import Verdict, verdict
from provnet.pollers.traps import TrapError, TrapEvent, TrapReceiver
from provnet.pollers.types import PollResult, SnmpTarget

log = logging.getLogger(__name__)
Emit = Callable[[IcmpSweep | TrapNote], None]
PlanOf = Callable[[], NodePlan | None]


@dataclass
class CollectStats:
    """What the node's other collectors did."""

    sweeps: int = 0
    readings: int = 0
    traps: int = 0
    traps_unknown: int = 0
    verdicts: dict[str, int] | None = None


class IcmpCollector:
    """Sweeps the plan's devices every ``settings.interval_s``; one message per sweep."""

    def __init__(self, node: str, pinger: Pinger, settings: IcmpSettings, plan_of: PlanOf,
                 emit: Emit, stats: CollectStats, clock: Callable[[], float] = time.time
                 ) -> None:
        self.node, self.pinger, self.settings = node, pinger, settings
        self._plan_of, self._emit, self.stats, self._clock = plan_of, emit, stats, clock
        self._pending: list[IcmpItem] = []

    def targets(self) -> list[tuple[int, str]]:
        """``(device, address)`` of the current plan (none before the first plan)."""
        plan = self._plan_of()
        return [] if plan is None else [(d.device_id, d.address) for d in plan.devices]

    def on_reading(self, device_id: int, reading: IcmpReading) -> None:
        """One device's probe (on the agent's loop)."""
        self._pending.append(IcmpItem(device_id, self._clock(), reading))

    def on_sweep(self, started: float) -> None:
        """A sweep ended: its readings become one message (none when nothing was probed)."""
        items, self._pending = tuple(self._pending), []
        plan = self._plan_of()
        if not items or plan is None:
            return
        self.stats.sweeps += 1
        self.stats.readings += len(items)
        self._emit(IcmpSweep(self.node, started, self.settings.interval_s, plan.version, items))

    async def run(self, stop: asyncio.Event) -> None:
        """Sweep until ``stop``."""
        await icmp_loop(self.pinger, self.targets, self.settings, self.on_reading, stop,
                        self.on_sweep)


class TrapCollector:
    """The trap receiver for the plan's devices; link traps confirmed by a poll from here."""

    def __init__(self, node: str, settings: TrapSettings, plan_of: PlanOf, poller: Poller,
                 target_of: Callable[[PlannedDevice], SnmpTarget], emit: Emit,
                 stats: CollectStats) -> None:
        self.node, self.settings, self._plan_of = node, settings, plan_of
        self._poller, self._target_of, self._emit, self.stats = poller, target_of, emit, stats
        self.stats.verdicts = {"confirmed": 0, "contradicted": 0, "unanswered": 0}
        self.receiver = TrapReceiver(settings, self.on_event)
        self._user_device = {u.user: u.device for u in settings.v3_users if u.device}
        self._index: tuple[int, dict[str, PlannedDevice], dict[str, PlannedDevice]] = (-1, {},
                                                                                        {})
        self._inflight: dict[int, tuple[float, asyncio.Task[PollResult]]] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def device_of(self, event: TrapEvent) -> PlannedDevice | None:
        """The planned device that sent ``event``: by its SNMPv3 user's device, else by the
        source address (the device's management address)."""
        plan = self._plan_of()
        if plan is None:
            return None
        if self._index[0] != plan.version:
            self._index = (plan.version, {d.address: d for d in plan.devices},
                           {d.name: d for d in plan.devices})
        _, by_address, by_name = self._index
        name = self._user_device.get(event.user or "")
        if name is not None and name in by_name:
            return by_name[name]
        return by_address.get(event.source)

    def on_event(self, event: TrapEvent) -> None:
        """One understood trap (called by the receiver on the agent's loop)."""
        device = self.device_of(event)
        if device is None:
            self.stats.traps_unknown += 1
            log.warning("%s: trap %s from %s ignored: not a device of this node's plan",
                        self.node, event.kind, event.source)
            return
        self.stats.traps += 1
        if event.oper_up is None or event.ifindex is None:
            self._note(device, event, None)
            return
        task = asyncio.get_running_loop().create_task(self._confirm(device, event))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _poll(self, device: PlannedDevice, since: float) -> asyncio.Task[PollResult]:
        """A poll starting no earlier than ``since`` (a burst of traps shares one)."""
        running = self._inflight.get(device.device_id)
        if running is not None and running[0] >= since and not running[1].done():
            return running[1]
        task = asyncio.get_running_loop().create_task(self._poller.poll(self._target_of(device)))
        self._inflight[device.device_id] = (time.time(), task)
        return task

    async def _confirm(self, device: PlannedDevice, event: TrapEvent) -> None:
        try:
            result: PollResult | None = await self._poll(device, event.time)
        except Exception:  # a failing poll is an unanswered trap, never a lost one
            log.exception("%s: confirming poll of %s failed", self.node, device.name)
            result = None
        v: Verdict = "unanswered" if result is None else verdict(event, result)
        assert self.stats.verdicts is not None
        self.stats.verdicts[v] += 1
        log.info("%s: trap %s from %s (device %d, ifIndex %s): %s by a poll", self.node,
                 event.kind, event.source, device.device_id, event.ifindex, v)
        self._note(device, event, v)

    def _note(self, device: PlannedDevice, event: TrapEvent, v: Verdict | None) -> None:
        plan = self._plan_of()
        self._emit(TrapNote(self.node, device.device_id, event, v,
                            plan.version if plan else 0))

    async def run(self, stop: asyncio.Event) -> None:
        """Listen until ``stop`` (a receiver that cannot bind is logged: traps off)."""
        try:
            await self.receiver.start()
        except TrapError as exc:
            log.error("%s: %s: traps disabled on this node", self.node, exc)
            return
        log.info("%s: trap receiver listening on %s:%d", self.node, *self.receiver.address)
        try:
            await stop.wait()
        finally:
            self.receiver.close()
            if self._tasks:  # confirmations under way end (bounded by the device timeout)
                await asyncio.wait(list(self._tasks), timeout=5.0)
            for t in list(self._tasks):
                t.cancel()

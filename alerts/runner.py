"""The alerting loop of a running service: result consumer, batching, evaluation task.

The poller's ``on_result`` feeds a :class:`CycleCollector` (cheap, on the event loop); at the
end of each cycle the batch is queued and evaluated in a worker thread by the
:class:`IncidentBook`; notifications go through the persisted outbox, delivered by its own
background task (wiring: ``provnet.features.alerts``). A linkDown trap, once a targeted poll
of its device confirmed it (``provnet.features.traps``), reaches
(:meth:`AlertsHandle.on_trap`) and is queued at once as an event batch of its own: evaluated
without waiting for the cycle, it does not count as a poll confirmation, and polls that
started before it cannot undo it (the engine drops older values). Remote poller nodes
(:mod:`alerts.eventfeed`) queue their batches as jobs (:meth:`AlertsHandle.submit`), run in
the same worker thread in order with the cycles; ``screen`` drops local observations about
what a silent node polls (its devices are unknown, not down).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol

from provnet.alerts.engine import Observation
from provnet.alerts.incidents import IncidentBook
from provnet.alerts.notify.outbox import Outbox
from provnet.alerts.notify.types import Notification
from provnet.alerts.observe import CycleCollector, trap_observations
from provnet.alerts.readings import (
    OpticLike,
    OpticPrecedence,
    icmp_observations,
    optic_observations,
)
from provnet.alerts.view import InventoryView
from provnet.pollers.readings import IcmpReading, OpticReading
from provnet.pollers.scheduler import CycleStats
from provnet.pollers.traps import TrapEvent
from provnet.pollers.types import IfRates, PollResult

log = logging.getLogger(__name__)
#: work run in the evaluation thread, in order with the batches; returns what it queued
Job = Callable[[], list[Notification]]
Batch = tuple[list[Observation], bool]


class NodeSink(Protocol):
    """Where a transport's consumer hands remote nodes' batches (``alerts.eventfeed``)."""

    def accept_batch(self, node: str, event_time: float, results: Iterable[Any]) -> bool:
        """One batch of device results of ``node`` taken at ``event_time``."""
        ...

    def heartbeat(self, node: str, event_time: float) -> bool:
        """``node`` was alive at ``event_time``."""
        ...

    def accept_icmp(self, node: str, event_time: float,
                    readings: Iterable[tuple[int, IcmpReading, float]]) -> bool:
        """One ICMP sweep of ``node`` started at ``event_time``: (device, reading, time)."""
        ...

    def accept_trap(self, node: str, event: TrapEvent, device_id: int) -> bool:
        """A link trap ``node`` received and confirmed by its own poll."""
        ...


class AlertsHandle:
    """The alerting of one service: a result consumer plus the evaluation loop."""

    def __init__(self, book: IncidentBook, collector: CycleCollector, outbox: Outbox,
                 tick_s: float, optic_recent_s: float | None = None) -> None:
        self.book, self.collector, self.outbox = book, collector, outbox
        self.tick_s = tick_s
        #: SNMP over SSH for a port's optic level while SNMP is recent (one optic, one truth)
        self.optics = OpticPrecedence(tick_s * 2.5 if optic_recent_s is None else optic_recent_s)
        # (observations, counts as a poll confirmation): cycles True, trap events False
        self._batches: asyncio.Queue[Batch | Job] = asyncio.Queue()
        #: local observations -> those to evaluate (drops what a silent remote node polls)
        self.screen: Callable[[list[Observation]], list[Observation]] | None = None
        #: remote poller nodes' entry (set by ``alerts.eventfeed.NodeFeed``)
        self.nodes: NodeSink | None = None

    def reload(self, collector: CycleCollector, view: InventoryView) -> None:
        """Use a new inventory view (topology, link ends, labels) from the next cycle on;
        the observations collected so far are kept."""
        collector.add(self.collector.flush())
        self.collector = collector
        self.book.set_view(view)

    # ResultConsumer
    def on_result(self, result: PollResult, rates: dict[int, IfRates]) -> None:
        """One device's poll has ended (its optics, when read, are observed too)."""
        self.collector.on_result(result, rates)
        optics = [r for r in result.readings if isinstance(r, OpticReading)]
        if optics:
            self.on_optics(result.target.device_id, optics, result.started)

    def _labels(self, device_id: int) -> Mapping[str, str]:
        return self.collector.device_labels.get(device_id, {"device_id": str(device_id)})

    def on_optics(self, device_id: int, readings: Iterable[OpticLike], t: float) -> None:
        """Optic levels (SNMP poll or SSH collection), evaluated with the next cycle."""
        readings = self.optics.admit(device_id, readings, t)
        self.collector.add(optic_observations(device_id, readings, t, self._labels(device_id),
                                              self.collector.link_ends.get(device_id)))

    def on_icmp(self, device_id: int, reading: IcmpReading, t: float) -> None:
        """One ICMP probe of a device, evaluated with the next cycle."""
        self.collector.add(icmp_observations(device_id, reading, t, self._labels(device_id)))

    def on_cycle(self, stats: CycleStats) -> None:
        """A cycle has ended: queue its batch for evaluation."""
        del stats
        self._batches.put_nowait((self.collector.flush(), True))

    def on_trap(self, event: TrapEvent, device_id: int) -> None:
        """A trap from a known device: a linkDown becomes a ``link.up`` = 0 event batch."""
        up = event.oper_up
        if up is None or event.ifindex is None:
            return
        obs = trap_observations(device_id, event.ifindex, up, event.time,
                                self.collector.link_ends, self.collector.link_labels,
                                event.admin_status)
        if obs:
            self._batches.put_nowait((obs, False))

    def add(self, observations: Iterable[Observation]) -> None:
        """Observations from other collectors (optics, ICMP, BTS), evaluated with the cycle."""
        self.collector.add(observations)

    def submit(self, job: Job) -> None:
        """Run ``job`` in the evaluation thread after the batches queued before it."""
        self._batches.put_nowait(job)

    def _evaluate(self, item: Batch | Job) -> tuple[int, bool, list[Notification]]:
        if callable(item):
            return 0, True, item()
        batch, confirm = item
        if self.screen is not None:
            batch = self.screen(batch)
        return len(batch), confirm, self.book.process(batch, confirm)

    async def _next_batch(self, stop: asyncio.Event) -> Batch | Job:
        """The next queued batch; an empty one after ``tick_s`` or as soon as ``stop`` is set."""
        get = asyncio.ensure_future(self._batches.get())
        halt = asyncio.ensure_future(stop.wait())
        done, _ = await asyncio.wait({get, halt}, timeout=self.tick_s,
                                     return_when=asyncio.FIRST_COMPLETED)
        halt.cancel()
        if get in done:
            return get.result()
        get.cancel()
        return [], True

    async def run(self, stop: asyncio.Event) -> None:
        """Evaluate each batch (and advance timers every ``tick_s`` without one)."""
        while not stop.is_set():
            item = await self._next_batch(stop)
            if stop.is_set() and not callable(item) and not item[0]:
                break
            t0 = time.perf_counter()
            try:
                size, confirm, sent = await asyncio.to_thread(self._evaluate, item)
            except Exception:  # one bad cycle must not end alerting
                log.exception("alert evaluation failed")
                continue
            if size or sent:
                log.info("alerts: %d %s observations in %.0f ms, %d notifications queued",
                         size, "cycle" if confirm else "trap",
                         1000 * (time.perf_counter() - t0), len(sent))

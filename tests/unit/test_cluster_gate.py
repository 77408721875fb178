"""The centre's sinks (pure): the result feed passes each device result once in event-time
order; the alert gate hands batches and heartbeats to the alerts' node entry once each."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from provnet.features.cluster import AlertGate
from provnet.pollers.cluster.centre import FeedStats, ResultFeed
from provnet.pollers.cluster.messages import Batch, DeviceResult, Heartbeat
from provnet.pollers.types import IfRates, PollResult, SnmpTarget


def _batch(tick: int, shard: int = 0, started: float | None = None) -> Batch:
    t = tick * 0.5 if started is None else started
    r = PollResult(SnmpTarget(5, "r5", "10.0.0.5"), started=t, duration_s=0.01)
    return Batch("pop1", shard, tick, tick * 0.5, 0.5, 1, (DeviceResult.of(r, {}),), 2)


class Nodes:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str, float, int]] = []

    def accept_batch(self, node: str, event_time: float, results: Iterable[Any]) -> bool:
        self.calls.append(("batch", node, event_time, len(list(results))))
        return True

    def heartbeat(self, node: str, event_time: float) -> bool:
        self.calls.append(("hb", node, event_time, 0))
        return True


def test_result_feed_once_in_order() -> None:
    got: list[float] = []

    def on_result(result: PollResult, rates: dict[int, IfRates]) -> None:
        got.append(result.started)
    stats = FeedStats()
    feed = ResultFeed(on_result, stats, clock=lambda: 100.0)
    for tick in (1, 2, 2, 1, 3):  # a redelivery and a late one from an old node
        feed.accept(_batch(tick))
    assert got == [0.5, 1.0, 1.5]
    assert (stats.results, stats.dropped_old) == (3, 2)


def test_alert_gate_once_per_tick_and_heartbeat_time() -> None:
    nodes = Nodes()
    gate = AlertGate(nodes)
    for tick, shard in ((1, 0), (1, 1), (2, 0), (1, 0), (2, 1)):
        gate.accept(_batch(tick, shard))
    gate.heartbeat(Heartbeat("pop1", 2, 123.0, 0.5, 1, 2, 1))
    assert nodes.calls == [("batch", "pop1", 0.5, 1), ("batch", "pop1", 0.5, 1),
                           ("batch", "pop1", 1.0, 1), ("batch", "pop1", 1.0, 1),
                           ("hb", "pop1", 1.0, 0)]
    assert gate.redelivered == 1

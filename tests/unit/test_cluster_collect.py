"""The node's ICMP and trap messages (pure): round trips, ids, version refusals in both
directions, bad input rejected; the centre's CollectFeed (once per id, readings in time order);
the agent's outbox keeps and re-publishes them; the centre's ICMP probes skip the nodes'
devices."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from provnet.config.icmp import IcmpSettings
from provnet.features import icmp as icmp_feature
from provnet.pollers.cluster.agent import NodeAgent, Outbox
from provnet.pollers.cluster.collect import (
    IcmpItem,
    IcmpSweep,
    TrapNote,
    decode_any,
    encode_icmp,
    encode_trap,
    icmp_subject,
    subject_of,
    trap_subject,
)
from provnet.pollers.cluster.collectfeed import CollectFeed
from provnet.pollers.cluster.messages import (
    Batch,
    Heartbeat,
    MessageError,
    decode,
    encode_batch,
    encode_heartbeat,
)
from provnet.pollers.live import LiveState
from provnet.pollers.plan import PollPlan
from provnet.pollers.readings import IcmpReading
from provnet.pollers.traps import TrapEvent
from provnet.pollers.types import SnmpTarget
from tests.unit.test_cluster_agent import FakeLeaf, _plan

UP = IcmpReading("10.0.0.1", 4, 4, 0.0, 0.4, 0.5, 0.9)
LOST = IcmpReading("10.0.0.2", 4, 0, 100.0)
SWEEP = IcmpSweep("pop1", 1_700_000_000.25, 30.0, 3,
                  (IcmpItem(1, 1_700_000_001.5, UP), IcmpItem(2, 1_700_000_001.75, LOST)))
DOWN = TrapEvent("10.0.0.1", "link-down", 1_700_000_002.0, ifindex=3, uptime_ticks=99,
                 oper_status=2, admin_status=1, user="pop-v3")
NOTE = TrapNote("pop1", 1, DOWN, "confirmed", 3)
COLD = TrapNote("pop1", 2, TrapEvent("10.0.0.2", "cold-start", 5.0), None, 3)


@pytest.mark.parametrize("msg", [
    SWEEP, IcmpSweep("pop1", 10.0, 1.0, 1), NOTE, COLD,
    TrapNote("pop-2", 9, TrapEvent("10.0.0.9", "link-up", 7.0, ifindex=1), "contradicted"),
    TrapNote("pop-2", 9, TrapEvent("10.0.0.9", "link-down", 7.0, ifindex=1), "unanswered"),
])
def test_round_trip(msg: IcmpSweep | TrapNote) -> None:
    raw = encode_icmp(msg) if isinstance(msg, IcmpSweep) else encode_trap(msg)
    assert decode_any(raw) == msg
    assert json.loads(raw)["v"] == 2


def test_batches_and_heartbeats_still_read_by_decode_any() -> None:
    b = Batch("pop1", 0, 5, 300.0, 60.0, 1)
    hb = Heartbeat("pop1", 5, 301.0, 60.0, 1, 1, 0)
    assert decode_any(encode_batch(b)) == b
    assert decode_any(encode_heartbeat(hb)) == hb


@pytest.mark.parametrize("raw", [encode_icmp(SWEEP), encode_trap(NOTE)])
def test_an_old_centre_refuses_them_by_version(raw: bytes) -> None:
    """What a centre that only reads version 1 (``messages.decode``) says."""
    with pytest.raises(MessageError, match="message version 2, this node speaks 1"):
        decode(raw)


def _icmp(**change: Any) -> bytes:
    o = json.loads(encode_icmp(SWEEP))
    o.update(change)
    return json.dumps(o).encode()


def _trap(**change: Any) -> bytes:
    o = json.loads(encode_trap(NOTE))
    o.update(change)
    return json.dumps(o).encode()


def _trap_event(**change: Any) -> bytes:
    o = json.loads(encode_trap(NOTE))
    fields = ["source", "kind", "time", "ifindex", "uptime_ticks", "oper_status",
              "admin_status", "user"]
    o["e"] = [change.get(f, v) for f, v in zip(fields, o["e"], strict=True)]
    return json.dumps(o).encode()


@pytest.mark.parametrize(("raw", "why"), [
    (_icmp(v=1), "reads it in version 2"),  # a new kind with the old version
    (json.dumps({**json.loads(encode_heartbeat(Heartbeat("a", 1, 1.0, 1.0, 1, 1, 1))),
                 "v": 2}).encode(), "reads it in version 1"),  # an old kind, new version
    (_icmp(v=3), "message version 3"),
    (_icmp(node="a.b"), "must be 1-64"),
    (_icmp(t="NaN"), "not a finite number"),
    (_icmp(t=1e400), "not a finite number"),
    (_icmp(r=[[1, 2.0, "10.0.0.1", 4, 5, 0.0, None, None, None]]), "impossible counts"),
    (_icmp(r=[[1, 2.0, "10.0.0.1", 4, 4, 150.0, None, None, None]]), "impossible counts"),
    (_icmp(r=[[1, 2.0, "10.0.0.1", 4]]), "expected 9 values"),
    (_icmp(r=[["1", 2.0, "10.0.0.1", 4, 4, 0.0, None, None, None]]), "not an integer"),
    (_icmp(r=[[True, 2.0, "10.0.0.1", 4, 4, 0.0, None, None, None]]), "not an integer"),
    (_icmp(pv=None), "not an integer"),
    (_icmp(t=None), "malformed"),
    (b'{"v": 2, "k": "i"}', "malformed"),
    (_trap(vd="maybe"), "unknown trap verdict"),
    (_trap(d="1"), "not an integer"),
    (_trap(e=["10.0.0.1", "link-down"]), "expected 8 values"),
    (_trap_event(kind="reboot"), "unknown trap kind"),
    (_trap_event(kind="cold-start"), "a verdict on a cold-start trap"),
    (_trap_event(ifindex="3"), "not an integer"),
    (_trap_event(time="soon"), "malformed"),
    (b'{"v": 2, "k": "z"}', "unknown message kind"),
    (b"[2]", "not an object"),
    (b"\xff", "not a provnet cluster message"),
])
def test_refused(raw: bytes, why: str) -> None:
    with pytest.raises(MessageError, match=why):
        decode_any(raw)


def test_ids_and_subjects() -> None:
    assert SWEEP.msg_id == "pop1:icmp:1700000000250"
    assert NOTE.msg_id.startswith("pop1:trap:") and len(NOTE.msg_id) == len("pop1:trap:") + 20
    # the same trap has the same id (a re-publish is a duplicate); another trap another id
    assert TrapNote("pop1", 1, DOWN, "confirmed", 4).msg_id == NOTE.msg_id
    assert TrapNote("pop1", 1, DOWN, "unanswered", 3).msg_id == NOTE.msg_id
    later = TrapEvent(**{**{f: getattr(DOWN, f) for f in DOWN.__slots__}, "time": 1e9 + 1})
    assert TrapNote("pop1", 1, later, "confirmed").msg_id != NOTE.msg_id
    assert icmp_subject("tq", "pop1") == subject_of(SWEEP, "tq") == "prov.tq.pop1.icmp"
    assert trap_subject("tq", "pop1") == subject_of(NOTE, "tq") == "prov.tq.pop1.trap"


def test_collect_feed_passes_each_once_and_readings_in_time_order() -> None:
    sweeps: list[IcmpSweep] = []
    notes: list[TrapNote] = []
    feed = CollectFeed(sweeps.append, notes.append, remember=2)
    feed.icmp(SWEEP)
    feed.icmp(SWEEP)  # redelivered after a lost ack
    feed.trap(NOTE)
    feed.trap(NOTE)
    older = IcmpSweep("pop2", 1_699_999_990.0, 30.0, 1,
                      (IcmpItem(1, 1_700_000_001.0, UP), IcmpItem(3, 1_700_000_001.0, UP)))
    feed.icmp(older)  # device 1 moved: the old node's late reading is dropped
    assert sweeps == [SWEEP, IcmpSweep("pop2", 1_699_999_990.0, 30.0, 1,
                                       (IcmpItem(3, 1_700_000_001.0, UP),))]
    assert notes == [NOTE]
    assert (feed.counts.redelivered, feed.counts.old_readings, feed.counts.readings) == (2, 1, 3)


def test_agent_stores_then_publishes_and_republishes_them(tmp_path: Path) -> None:
    leaf = FakeLeaf(_plan())
    outbox = Outbox(tmp_path / "outbox")

    async def once(emit: bool) -> None:
        agent = NodeAgent("pop1", "tq", leaf, outbox, lambda _p: None,  # type: ignore[arg-type,return-value]
                          lambda i, n, a, p: SnmpTarget(i, n, a, p))
        if emit:
            agent.emit(SWEEP)
            agent.emit(NOTE)
            assert len(outbox.pending()) == 2  # on disk before any publish
            return
        stop = asyncio.Event()
        stop.set()
        await agent.run(stop)
        assert agent.stats.republished == 2

    asyncio.run(once(emit=True))  # "killed" before publishing
    asyncio.run(once(emit=False))  # the next start publishes the outbox
    assert not outbox.pending()
    assert set(leaf.order) == {SWEEP.msg_id, NOTE.msg_id}
    assert decode_any(leaf.stored[NOTE.msg_id]) == NOTE
    asyncio.run(once(emit=True))
    asyncio.run(once(emit=False))  # stored already: duplicates, nothing twice
    assert leaf.duplicates == 2 and len(leaf.order) == 2


class Pings:
    """A :class:`~provnet.pollers.icmp.Pinger` that records whom it was asked to ping."""

    def __init__(self, stop: asyncio.Event) -> None:
        self.asked: list[list[int]] = []
        self.stop = stop

    async def sweep(self, targets: Any, settings: IcmpSettings) -> dict[int, IcmpReading]:
        self.asked.append([d for d, _ in targets])
        self.stop.set()
        return {d: IcmpReading(a, 1, 1, 0.0, 1.0, 1.0, 1.0) for d, a in targets}


def test_the_centre_does_not_ping_the_nodes_devices() -> None:
    targets = [SnmpTarget(i, f"d{i}", f"10.0.0.{i}") for i in (1, 2, 3)]
    background: list[Any] = []
    service = SimpleNamespace(
        settings=SimpleNamespace(icmp=IcmpSettings(interval_s=0.01, own_thread=False)),
        plan=PollPlan(targets=targets), live=LiveState(), background=background,
        remote_devices=frozenset({2}), queue_points=lambda points: None)
    service.local_targets = lambda: [t for t in service.plan.targets
                                     if t.device_id not in service.remote_devices]

    async def run() -> Pings:
        stop = asyncio.Event()
        pings = Pings(stop)
        assert icmp_feature.attach(service, pinger=pings)  # type: ignore[arg-type]
        name, task = background[0]
        assert name == "icmp"
        await asyncio.wait_for(task(stop), 10)
        return pings

    pings = asyncio.run(run())
    assert pings.asked == [[1, 3]]
    assert service.live.device(2) is None or service.live.device(2).icmp is None


class Alerts:
    """An alerting handle without an event-time entry: local readings and traps."""

    nodes = None

    def __init__(self) -> None:
        self.icmp: list[tuple[int, IcmpReading, float]] = []
        self.traps: list[tuple[TrapEvent, int]] = []

    def on_icmp(self, device_id: int, reading: IcmpReading, t: float) -> None:
        self.icmp.append((device_id, reading, t))

    def on_trap(self, event: TrapEvent, device_id: int) -> None:
        self.traps.append((event, device_id))


@pytest.mark.parametrize(("verdict", "paged"), [
    ("confirmed", True), ("contradicted", False), ("unanswered", False)])
def test_node_collect_pages_only_on_a_confirmed_link_trap(verdict: str, paged: bool) -> None:
    from provnet.features.cluster import NodeCollect

    live, points, alerts = LiveState(), [], Alerts()
    wire = NodeCollect(live, points.extend, lambda d: {"device": f"r{d}"}, alerts)  # type: ignore[arg-type]
    wire.trap(TrapNote("pop1", 1, DOWN, verdict))  # type: ignore[arg-type]
    wire.trap(COLD)  # not a link trap: to the alerts as a local one (they ignore it)
    assert [d for _, d in alerts.traps] == ([1, 2] if paged else [2])
    assert wire.unconfirmed == (0 if paged else 1)
    (p, cold) = points
    assert p.fields["verdict"] == verdict and p.fields["confirmed"] is paged
    assert p.fields["node"] == "pop1" and p.tags["device"] == "r1"
    assert p.time_ns == round(DOWN.time * 1e6) * 1000
    assert "verdict" not in cold.fields
    wire.sweep(SWEEP)
    assert alerts.icmp == [(1, UP, 1_700_000_001.5), (2, LOST, 1_700_000_001.75)]
    state = live.device(2)
    assert state is not None and state.icmp == LOST
    assert [pt.measurement for pt in points[2:]] == ["icmp", "icmp"]

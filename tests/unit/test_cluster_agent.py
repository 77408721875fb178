"""The agent's tick loop against a fake leaf and a fake poller (no broker): one batch per
shard and tick in tick order (an overrun tick is sent after the cycle that overran), the
outbox is emptied on ack and re-published (as duplicates) by the next start."""

from __future__ import annotations

import asyncio
from pathlib import Path

from provnet.pollers.cluster.agent import NodeAgent, Outbox
from provnet.pollers.cluster.messages import Batch, NodePlan, PlannedDevice, decode
from provnet.pollers.types import PollResult, SnmpTarget

#: long enough that a loaded machine does not hold the loop a whole tick (the agent then
#: skips to the current tick, as after a host sleep, and the order check would see a gap)
INTERVAL = 0.2


class FakeLeaf:
    def __init__(self, plan: NodePlan) -> None:
        self.plan = plan
        self.stored: dict[str, bytes] = {}
        self.order: list[str] = []
        self.duplicates = 0

    async def read_plan(self) -> NodePlan | None:
        return self.plan

    async def publish(self, subject: str, payload: bytes, msg_id: str,
                      timeout: float = 5.0) -> bool:
        if msg_id in self.stored:
            self.duplicates += 1
            return True
        self.stored[msg_id] = payload
        self.order.append(msg_id)
        return False

    async def fill(self, max_bytes: int) -> float:
        return 0.0

    async def reset_plan_mirror(self, hub_domain: str) -> None:
        return None


class SlowOnce:
    """Polls instantly, except device 2's third poll takes 3 intervals (an overrun)."""

    def __init__(self) -> None:
        self.calls = 0

    async def poll(self, target: SnmpTarget) -> PollResult:
        import time
        if target.device_id == 2:
            self.calls += 1
            if self.calls == 3:
                await asyncio.sleep(3 * INTERVAL)
        return PollResult(target, time.time(), 0.001)


def _plan() -> NodePlan:
    return NodePlan("pop1", 1, INTERVAL, 2, (PlannedDevice(1, "a", "10.0.0.1", shard=0),
                                             PlannedDevice(2, "b", "10.0.0.2", shard=1)))


def _agent(leaf: FakeLeaf, outbox: Outbox, poller: SlowOnce) -> NodeAgent:
    return NodeAgent("pop1", "tq", leaf, outbox, lambda _p: poller,
                     lambda i, n, a, p: SnmpTarget(i, n, a, p), spread=0.0)


async def _run(agent: NodeAgent, seconds: float) -> None:
    stop = asyncio.Event()
    task = asyncio.create_task(agent.run(stop))
    await asyncio.sleep(seconds)
    stop.set()
    await task


def test_batches_in_tick_order_with_an_overrun(tmp_path: Path) -> None:
    leaf = FakeLeaf(_plan())
    outbox = Outbox(tmp_path / "outbox")
    asyncio.run(_run(_agent(leaf, outbox, SlowOnce()), 20 * INTERVAL))
    batches = [decode(leaf.stored[i]) for i in leaf.order if ":hb:" not in i]
    for shard in (0, 1):
        mine = [b for b in batches if isinstance(b, Batch) and b.shard == shard]
        ticks = [b.tick for b in mine]
        assert len(ticks) >= 10 and ticks == list(range(ticks[0], ticks[0] + len(ticks)))
        if shard == 1:
            assert any(b.overrun and not b.results for b in mine)  # skipped, sent in order
        assert all(b.results or b.overrun for b in mine)
    assert not outbox.pending()  # everything acknowledged
    hbs = [decode(leaf.stored[i]) for i in leaf.order if ":hb:" in i]
    assert [h.tick for h in hbs] == sorted({h.tick for h in hbs})


def test_outbox_republished_once(tmp_path: Path) -> None:
    leaf = FakeLeaf(_plan())
    outbox = Outbox(tmp_path / "outbox")
    first = _agent(leaf, outbox, SlowOnce())
    asyncio.run(_run(first, 6 * INTERVAL))
    stored = dict(leaf.stored)
    # a batch acknowledged but still in the outbox (killed between the ack and the unlink)
    some = next(decode(v) for k, v in stored.items() if ":hb:" not in k)
    assert isinstance(some, Batch)
    outbox.put(some, stored[some.msg_id])
    again = _agent(leaf, outbox, SlowOnce())
    asyncio.run(_run(again, 2 * INTERVAL))
    assert leaf.duplicates == 1 and again.stats.republished == 1
    assert not outbox.pending()

"""The centre's consume pipeline on a fake hub (no I/O): the next fetch is decoded while the
previous one is being committed, planning goes on beside a slow commit (the pipeline is not
drained for it), and every message is acknowledged only after its own commit succeeded."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pytest

from provnet.config.cluster import ClusterSettings
from provnet.pollers.cluster.centre import Centre, FeedStats
from provnet.pollers.cluster.messages import Batch, DeviceResult, Heartbeat, encode_batch
from provnet.pollers.errors import PollerError
from provnet.pollers.types import PollResult, SnmpTarget


@dataclass
class Msg:
    tick: int
    data: bytes


def _msg(tick: int) -> Msg:
    r = PollResult(SnmpTarget(7, "r7", "10.0.0.7"), started=tick * 1.0, duration_s=0.01)
    return Msg(tick, encode_batch(Batch("pop1", 0, tick, tick * 1.0, 1.0, 1,
                                        (DeviceResult.of(r, {}),))))


class FakeHub:
    """Serves ``fetches`` one after the other (then nothing); logs acks and plannings."""

    def __init__(self, fetches: list[list[Msg]], log: list[tuple[str, int]]) -> None:
        self.fetches, self.log = fetches, log
        self.plannings = 0

    async def ensure(self, *args: Any) -> None:
        return None

    async def read_plans(self) -> dict[str, Any]:
        return {}

    async def put_plan(self, plan: Any) -> None:
        return None

    async def subscribe(self, *args: Any) -> None:
        return None

    async def fetch(self, batch: int, timeout: float) -> list[Msg]:
        await asyncio.sleep(0)  # a real fetch always waits for the broker
        if self.fetches:
            return self.fetches.pop(0)
        await asyncio.sleep(min(timeout, 0.01))
        return []

    async def ack(self, msgs: Sequence[Msg]) -> None:
        self.log.extend(("ack", m.tick) for m in msgs)

    async def stalled_sources(self, stream: str, idle_s: float) -> list[str]:
        self.plannings += 1
        return []

    async def restart_source(self, stream: str, name: str) -> None:
        return None


class Sink:
    def __init__(self, log: list[tuple[str, int]]) -> None:
        self.log = log

    def accept(self, batch: Batch) -> None:
        self.log.append(("handled", batch.tick))

    def heartbeat(self, hb: Heartbeat) -> None:
        return None


class Commits:
    """The n-th commit waits for ``gates[n]`` (if any), then succeeds or fails."""

    def __init__(self, log: list[tuple[str, int]], fail: set[int]) -> None:
        self.log, self.fail = log, fail
        self.n = 0
        self.gates: dict[int, asyncio.Event] = {}

    async def __call__(self) -> None:
        self.n += 1
        n = self.n
        self.log.append(("commit", n))
        if n in self.gates:
            await self.gates[n].wait()
        if n in self.fail:
            self.log.append(("failed", n))
            raise PollerError(f"commit {n} failed (fake)")
        self.log.append(("committed", n))


def _centre(fetches: list[list[Msg]], fail: set[int] = frozenset()  # type: ignore[assignment]
            ) -> tuple[Centre, FakeHub, Commits, list[tuple[str, int]]]:
    log: list[tuple[str, int]] = []
    hub = FakeHub(fetches, log)
    commits = Commits(log, set(fail))
    cfg = ClusterSettings(enabled=True, interval_s=1.0, plan_every_s=0.02)
    centre = Centre(hub, cfg, [Sink(log)], commits, lambda: [], 1.0, FeedStats())
    return centre, hub, commits, log


async def _until(check: Any, timeout: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.005)


def test_decode_overlaps_a_slow_commit_and_planning_goes_on() -> None:
    async def scenario() -> None:
        centre, hub, commits, log = _centre([[_msg(1), _msg(2)], [_msg(3)], [_msg(4)]])
        commits.gates[1] = asyncio.Event()
        stop = asyncio.Event()
        task = asyncio.create_task(centre.run(stop))
        await _until(lambda: ("handled", 3) in log)
        plannings = hub.plannings
        await asyncio.sleep(0.2)  # commit 1 still hangs: planning goes on, nothing is acked
        assert hub.plannings >= plannings + 3, "planning waited for the commit"
        assert not any(e[0] == "ack" for e in log)
        assert ("handled", 4) not in log, "at most two fetches unacknowledged"
        commits.gates[1].set()
        await _until(lambda: ("ack", 4) in log)
        stop.set()
        await task
        # each message acknowledged after the commit that began after its handling
        for tick, commit in ((1, 1), (2, 1), (3, 2), (4, 3)):
            assert (log.index(("handled", tick)) < log.index(("commit", commit))
                    < log.index(("committed", commit)) < log.index(("ack", tick))), tick
        assert log.index(("handled", 3)) < log.index(("committed", 1)), "no overlap"

    asyncio.run(scenario())


# commits that fail -> ticks acknowledged (a failed commit's messages stay unacknowledged:
# the broker delivers them again after ack_wait_s)
CASES = [
    (set(), [1, 2, 3]),
    ({1}, [2, 3]),
    ({2}, [1, 3]),
    ({1, 2, 3}, []),
]


@pytest.mark.parametrize(("fail", "acked"), CASES)
def test_ack_only_after_its_own_commit(fail: set[int], acked: list[int]) -> None:
    async def scenario() -> list[tuple[str, int]]:
        centre, _hub, commits, log = _centre([[_msg(1)], [_msg(2)], [_msg(3)]], fail)
        stop = asyncio.Event()
        task = asyncio.create_task(centre.run(stop))
        await _until(lambda: commits.n == 3 and log[-1][0] != "commit")
        await asyncio.sleep(0.05)
        stop.set()
        await task
        return log

    log = asyncio.run(scenario())
    assert [t for kind, t in log if kind == "ack"] == acked
    for tick in acked:  # commit n holds fetch n here (one message each)
        assert log.index(("committed", tick)) < log.index(("ack", tick))


def test_stop_waits_for_the_commit_in_flight() -> None:
    async def scenario() -> list[tuple[str, int]]:
        centre, _hub, commits, log = _centre([[_msg(1)]])
        commits.gates[1] = asyncio.Event()
        stop = asyncio.Event()
        task = asyncio.create_task(centre.run(stop))
        await _until(lambda: ("commit", 1) in log)
        stop.set()
        await asyncio.sleep(0.05)
        assert not task.done(), "stopped with a commit in flight"
        commits.gates[1].set()
        await task
        return log

    assert asyncio.run(scenario())[-2:] == [("committed", 1), ("ack", 1)]

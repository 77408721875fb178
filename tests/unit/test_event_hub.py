"""The live-update hub: one producer, many subscribers, bounded queues, slow ones dropped;
and the pure link-change diff it sends."""

from __future__ import annotations

import asyncio

import pytest

from provnet.api.events import DROPPED, EventHub, HubFull, frame
from provnet.pollers.changes import link_changes


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def test_frame_is_one_sse_event() -> None:
    assert frame("links", [{"a": "Tri Tôn"}], 7) == (
        'id: 7\nevent: links\ndata: [{"a":"Tri Tôn"}]\n\n'.encode())


@pytest.mark.anyio
async def test_readers_get_every_event_and_a_stalled_one_is_dropped() -> None:
    hub = EventHub(queue_max=4)
    reader, stalled = hub.subscribe(), hub.subscribe()
    got: list[bytes] = []

    async def read() -> None:
        async for data in reader.frames():
            got.append(data)
            if len(got) == 11:  # retry + 10 events
                return

    task = asyncio.create_task(read())
    for i in range(10):
        assert hub.publish("cycle", {"n": i}) >= 1  # never waits
        await asyncio.sleep(0.01)  # the reader keeps up
    await asyncio.wait_for(task, 2)
    assert [g.split(b"\n")[1] for g in got[1:]] == [b"event: cycle"] * 10
    # the stalled one was dropped at its 5th event: nothing queued but the last frame
    assert stalled.dropped and stalled.queue.qsize() == 1
    assert stalled not in hub.subscribers and hub.stats.dropped == 1
    frames = [f async for f in stalled.frames()]
    assert frames[-1] is DROPPED and len(frames) == 2  # retry line, then dropped
    assert reader not in hub.subscribers  # its stream ended: unsubscribed


@pytest.mark.anyio
async def test_memory_is_bounded_per_subscriber_and_frames_are_shared() -> None:
    hub = EventHub(queue_max=8)
    subs = [hub.subscribe() for _ in range(1000)]  # none of them ever reads
    for i in range(100):
        hub.publish("links", [{"link_id": i, "status": "down"}] * 50)
    # every subscriber fell behind and was dropped, each holds one shared frame
    assert hub.stats.dropped == 1000 and not hub.subscribers
    assert {s.queue.qsize() for s in subs} == {1}
    assert len({id(s.queue.get_nowait()) for s in subs}) == 1


def test_subscriber_limit() -> None:
    hub = EventHub(max_subscribers=2)
    hub.subscribe()
    hub.subscribe()
    with pytest.raises(HubFull):
        hub.subscribe()


@pytest.mark.anyio
async def test_keepalive_comment_on_silence() -> None:
    hub = EventHub()
    it = hub.subscribe().frames(keepalive_s=0.05).__aiter__()
    assert (await it.__anext__()).startswith(b"retry:")
    assert await it.__anext__() == b": keepalive\n\n"
    await it.aclose()
    assert not hub.subscribers


@pytest.mark.parametrize(("before", "now", "expected"), [
    ({}, {1: ("up", "up")}, [{"link_id": 1, "status": "up", "reason_code": "up", "was": None}]),
    ({1: ("up", "up")}, {1: ("up", "up")}, []),
    ({1: ("up", "up")}, {1: ("down", "down_a")},
     [{"link_id": 1, "status": "down", "reason_code": "down_a", "was": "up"}]),
    ({1: ("up", "up")}, {1: ("up", "up_one_end")},
     [{"link_id": 1, "status": "up", "reason_code": "up_one_end", "was": "up"}]),
    ({1: ("up", "up"), 2: ("down", "down_z")}, {1: ("up", "up")},
     [{"link_id": 2, "status": None, "reason_code": None, "was": "down"}]),
])
def test_link_changes(before: dict[int, tuple[str, str]], now: dict[int, tuple[str, str]],
                      expected: list[dict[str, object]]) -> None:
    assert link_changes(before, now) == expected

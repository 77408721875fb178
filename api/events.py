"""One producer, many subscribers: the live-update hub behind ``GET /api/v1/stream``.

The producer (the poll cycle's end, on the event loop) calls :meth:`EventHub.publish`; the
event is encoded once as a server-sent-events frame and the same bytes object is queued for
every subscriber. Each subscriber has a bounded queue (``queue_max`` frames): one that falls
that far behind (a wall screen asleep, a client that never reads) is dropped (its queue is
cleared, it gets a last ``dropped`` frame and its stream ends) and the producer never waits.
So the hub holds at most ``queue_max`` frames per subscriber, shared between subscribers, and
``max_subscribers`` subscribers (one more is refused: 503 at the route).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

KEEPALIVE_S = 15.0
RETRY_MS = 5000


class HubFull(Exception):
    """No room for another subscriber."""


@dataclass
class HubStats:
    """Counters for ``/api/v1/health``."""

    published: int = 0
    subscribed: int = 0
    dropped: int = 0


def frame(event: str, data: Any, event_id: int | None = None) -> bytes:
    """One SSE frame: ``id``, ``event``, one ``data`` line of compact JSON."""
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":"), default=str)
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {event}\ndata: {body}\n\n".encode()


class Subscription:
    """One subscriber's bounded queue of frames."""

    def __init__(self, hub: EventHub, queue_max: int,
                 keep: Callable[[str, Any], Any] | None = None) -> None:
        self.hub = hub
        self.queue: asyncio.Queue[bytes] = asyncio.Queue(queue_max)
        self.dropped = False
        #: a district-scoped subscriber's filter: (event, data) -> what it sees, or None
        self.keep = keep

    def offer(self, data: bytes) -> bool:
        """Queue a frame; False (and the subscriber dropped) if it is too far behind."""
        if self.dropped:
            return False
        try:
            self.queue.put_nowait(data)
        except asyncio.QueueFull:
            self.drop()
            return False
        return True

    def drop(self) -> None:
        """Free what is queued and leave a last ``dropped`` frame."""
        self.dropped = True
        while not self.queue.empty():
            self.queue.get_nowait()
        self.queue.put_nowait(DROPPED)

    async def frames(self, keepalive_s: float = KEEPALIVE_S) -> AsyncIterator[bytes]:
        """Frames until dropped; a comment line every ``keepalive_s`` of silence."""
        try:
            yield f"retry: {RETRY_MS}\n\n".encode()
            while True:
                try:
                    data = await asyncio.wait_for(self.queue.get(), keepalive_s)
                except TimeoutError:
                    yield b": keepalive\n\n"
                    continue
                yield data
                if data is DROPPED:
                    return
        finally:
            self.hub.unsubscribe(self)


DROPPED = frame("dropped", {"reason": "too far behind; reconnect and re-read the lists"})


class EventHub:
    """Fan-out of SSE frames (see the module doc)."""

    def __init__(self, queue_max: int = 64, max_subscribers: int = 5000,
                 clock: Callable[[], float] = time.time) -> None:
        self.queue_max, self.max_subscribers, self.clock = queue_max, max_subscribers, clock
        self.subscribers: set[Subscription] = set()
        self.stats = HubStats()
        self._next_id = 1
        #: told every published (event, data): the API front's copy of the hub (api/front.py)
        self.taps: list[Callable[[str, Any], None]] = []

    def subscribe(self, keep: Callable[[str, Any], Any] | None = None) -> Subscription:
        """A new subscriber (``keep``: its filter); :class:`HubFull` at ``max_subscribers``."""
        if len(self.subscribers) >= self.max_subscribers:
            raise HubFull(f"{self.max_subscribers} subscribers already")
        sub = Subscription(self, self.queue_max, keep)
        self.subscribers.add(sub)
        self.stats.subscribed += 1
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        """Forget a subscriber (its stream ended or its client went away)."""
        self.subscribers.discard(sub)

    def publish(self, event: str, data: Any) -> int:
        """Encode once, offer to every subscriber; how many took it. Never waits."""
        for tap in self.taps:
            tap(event, data)
        encoded = frame(event, data, self._next_id)
        event_id = self._next_id
        self._next_id += 1
        self.stats.published += 1
        taken = 0
        for sub in list(self.subscribers):
            own = encoded
            if sub.keep is not None:  # a scoped subscriber: its part only, encoded for it
                part = sub.keep(event, data)
                if part is None:
                    continue
                own = encoded if part is data else frame(event, part, event_id)
            if sub.offer(own):
                taken += 1
            elif sub.dropped and sub in self.subscribers:
                self.stats.dropped += 1
                self.subscribers.discard(sub)  # it still reads its last frame, then ends
        return taken

    def figures(self) -> dict[str, int]:
        """For ``/api/v1/health``."""
        return {"stream_subscribers": len(self.subscribers),
                "stream_published": self.stats.published,
                "stream_dropped": self.stats.dropped}

"""``GET /api/v1/stream``: server-sent events of what changed each poll cycle.

Events: ``cycle`` (every cycle: number, time, devices ok/failed), ``links`` (links whose
status or reason changed), ``incidents`` (new incident history entries). A client reads the
lists once, then applies the events (a district-scoped user gets the links and incidents of
its districts only); ``dropped`` ends the stream of a client that fell too far
behind (it reconnects and re-reads). ``GET /api/v1/stream/status``: subscriber figures.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import StreamingResponse

from provnet.api.events import EventHub
from provnet.api.scope import scope_of


def stream_router(hub: EventHub) -> APIRouter:
    """The stream and its figures."""
    r = APIRouter(tags=["stream"])

    @r.get("/api/v1/stream", response_class=StreamingResponse,
           responses={200: {"content": {"text/event-stream": {}},
                            "description": "events: cycle, links, incidents, dropped"},
                      503: {"description": "too many subscribers"}})
    async def stream(request: Request) -> StreamingResponse:
        if len(hub.subscribers) >= hub.max_subscribers:
            raise HTTPException(503, f"{hub.max_subscribers} subscribers already; retry later")
        scoped = scope_of(request)  # a district-scoped user: its links and incidents only
        keep = scoped.stream_filter if scoped is not None else None

        async def frames() -> AsyncIterator[bytes]:
            # subscribed on the first read: a client gone before that leaves nothing behind
            async for data in hub.subscribe(keep).frames():
                yield data

        return StreamingResponse(frames(), media_type="text/event-stream",
                                 headers={"cache-control": "no-cache",
                                          "x-accel-buffering": "no"})

    @r.get("/api/v1/stream/status")
    def status() -> dict[str, int]:
        return hub.figures()

    return r

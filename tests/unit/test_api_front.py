"""The API front's parts (api/front.py): generation lines, the stale rule, and the proxy to a
real uvicorn server on a Unix socket (headers, body, streams, the service gone)."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Hashable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import StreamingResponse

from provnet.api.events import EventHub
from provnet.api.front import Feed, Upstream, front_app, stale_ok


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.parametrize(("line", "token", "inventory"), [
    (Feed.generation_line((3, 1, 0), 1), (3, 1, 0), 1),
    (Feed.generation_line((None, 2, 5), 2), (None, 2, 5), 2),
    (b'{"token": [[1, 2], 3], "inventory": [4]}\n', ((1, 2), 3), (4,)),
    (b"not json\n", None, None),
    (b'["token"]\n', None, None),
    (b'{"figures": 1}\n', None, None),
])
def test_generation_lines(line: bytes, token: Hashable, inventory: Hashable) -> None:
    g = Feed()
    g.apply(line)
    assert (g.token, g.inventory) == (token, inventory)
    assert g.updates == (0 if token is None else 1)


@pytest.mark.parametrize(("old", "new", "ok"), [
    ((1, 0, 0), (2, 0, 0), True),      # only the cycle moved
    ((1, 0, 0), (2, 1, 0), False),     # the inventory changed
    ((1, 0, 0), (1, 0, 1), False),     # a trap changed an interface
    ((1, 0), (2, 0, 0), False),
    (None, (1, 0, 0), False),
])
def test_stale_rule(old: Hashable, new: Hashable, ok: bool) -> None:
    assert stale_ok(old, new) is ok


class Service:
    """A small service on a Unix socket, counting what it builds."""

    def __init__(self, path: Path) -> None:
        self.builds = 0
        self.seen: list[dict[str, Any]] = []
        app = FastAPI()

        @app.get("/api/v1/things")
        def things(request: Request) -> dict[str, Any]:
            self.builds += 1
            self.seen.append(dict(request.headers) | {"client": request.client.host
                                                      if request.client else None})
            return {"n": self.builds, "q": request.url.query}

        @app.post("/api/v1/echo")
        async def echo(request: Request) -> dict[str, Any]:
            return {"body": (await request.body()).decode(), "path": request.url.path}

        @app.get("/api/v1/stream")
        def stream() -> StreamingResponse:
            async def frames() -> AsyncIterator[bytes]:
                for i in range(3):
                    yield f"event: tick\ndata: {i}\n\n".encode()
                    await asyncio.sleep(0.05)
            return StreamingResponse(frames(), media_type="text/event-stream")

        self.server = uvicorn.Server(uvicorn.Config(app, uds=str(path), log_level="warning",
                                                    forwarded_allow_ips="*", lifespan="off"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> Service:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started and time.monotonic() < deadline:
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(5)


@pytest.fixture
def service(tmp_path: Path) -> Iterator[tuple[Service, str]]:
    path = tmp_path / "api.sock"
    with Service(path) as svc:
        yield svc, str(path)


def _client(app: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=("10.1.2.3", 5555)),
                             base_url="http://127.0.0.1")


@pytest.mark.anyio
async def test_hits_stay_in_the_front_until_the_generation_moves(
        service: tuple[Service, str]) -> None:
    svc, uds = service
    gen = Feed()
    gen.apply(Feed.generation_line((1, 0, 0), 0))
    upstream = Upstream(uds)
    app, cache = front_app(upstream, gen, None, max_body_bytes=1024, allowed_hosts=[],
                           bound_host="127.0.0.1")
    async with _client(app) as c:
        answers = [await c.get("/api/v1/things?x=%C4%91") for _ in range(5)]
        assert [a.json()["n"] for a in answers] == [1] * 5 and svc.builds == 1
        assert answers[0].json()["q"] == "x=%C4%91"  # the query as the client sent it
        tag = answers[0].headers["etag"]
        assert (await c.get("/api/v1/things?x=%C4%91",
                            headers={"If-None-Match": tag})).status_code == 304
        gen.apply(Feed.generation_line((2, 1, 0), 1))  # the inventory moved: rebuilt at once
        assert (await c.get("/api/v1/things?x=%C4%91")).json()["n"] == 2
        assert (await c.post("/api/v1/echo", content="xã")).json() == {
            "body": "xã", "path": "/api/v1/echo"}
        assert (await c.get("/api/v1/things?x=%C4%91")).json()["n"] == 3  # a write passed
        assert (await c.get("/api/v1/things", headers={"Host": "evil.example"})
                ).status_code == 400
        assert (await c.post("/api/v1/echo", content="x" * 2000)).status_code == 413
    assert cache.stats.hits >= 4
    await upstream.aclose()


@pytest.mark.anyio
async def test_forwarded_headers_and_hop_by_hop(service: tuple[Service, str]) -> None:
    svc, uds = service
    upstream = Upstream(uds)
    async with _client(upstream) as c:
        r = await c.get("/api/v1/things", headers={"X-Forwarded-For": "6.6.6.6",
                                                   "Connection": "keep-alive, x-secret",
                                                   "X-Secret": "hop only",
                                                   "Accept-Language": "vi"})
    assert r.status_code == 200
    seen = svc.seen[-1]
    assert seen["client"] == "10.1.2.3"  # the front's client, never what the client claimed
    assert seen["x-forwarded-for"] == "10.1.2.3" and seen["accept-language"] == "vi"
    assert "x-secret" not in seen  # named by Connection: this hop only
    await upstream.aclose()


@pytest.mark.anyio
async def test_streams_pass_through_as_they_come(service: tuple[Service, str]) -> None:
    _, uds = service
    upstream = Upstream(uds)
    async with _client(upstream) as c:
        r = await c.get("/api/v1/stream")
    assert r.headers["content-type"].startswith("text/event-stream")
    assert r.text.count("event: tick") == 3
    await upstream.aclose()


@pytest.mark.anyio
async def test_service_gone_is_a_503_with_a_reason(tmp_path: Path) -> None:
    upstream = Upstream(str(tmp_path / "nobody.sock"))
    async with _client(upstream) as c:
        r = await c.get("/api/v1/things")
    assert r.status_code == 503 and "does not answer" in r.json()["detail"]
    assert r.headers["retry-after"] == "5"
    await upstream.aclose()


@pytest.mark.anyio
async def test_the_stream_is_served_from_the_fronts_own_hub(tmp_path: Path) -> None:
    feed = Feed(EventHub(queue_max=2, max_subscribers=1))
    upstream = Upstream(str(tmp_path / "nobody.sock"))  # never asked: the front answers
    app, _ = front_app(upstream, feed, None, max_body_bytes=1024, allowed_hosts=[],
                       bound_host="127.0.0.1")
    async with _client(app) as c:
        reading = asyncio.ensure_future(c.get("/api/v1/stream"))
        while not feed.hub.subscribers:
            await asyncio.sleep(0.01)
        assert (await c.get("/api/v1/stream")).status_code == 503  # one subscriber at most
        feed.apply(Feed.event_line("links", [{"link_id": 7, "status": "down",
                                              "reason_code": "xã"}]))
        await asyncio.sleep(0.05)
        for n in range(3):  # a reader too far behind is dropped: its stream ends
            feed.apply(Feed.event_line("cycle", {"cycle": n}))
        r = await reading
        status = (await c.get("/api/v1/stream/status")).json()
    assert r.headers["content-type"].startswith("text/event-stream")
    assert 'event: links\ndata: [{"link_id":7,"status":"down","reason_code":"xã"}]' in r.text
    assert "event: dropped" in r.text
    assert status == {"stream_subscribers": 0, "stream_published": 4, "stream_dropped": 1}
    await upstream.aclose()

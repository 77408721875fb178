"""The API front: its own process in front of the service (``api.front: true``, issue 14).

Under load, the answers a NOC asks for most (lists and objects of the current cycle) are the
same bytes for every screen; the service already keeps them (``api/cache.py``), but in the
process that polls: every request then competes with the poll loop for the GIL and the loop
for a core, and a stall of either (a cycle's results, a collection, the scheduler giving the
core to another process) shows as latency on every screen. The front keeps the same cache in a
small process of its own: Host and body checks (:class:`~provnet.api.guard.SurfaceGuard`),
authentication and roles (:class:`~provnet.api.auth.AuthGuard`, over the same store), then
:class:`~provnet.api.cache.ResponseCache`; a hit is answered there, anything else is passed to
the service on a Unix socket (:class:`Upstream`). The service tells the front its generation
(poll cycle, inventory version, trap changes) as it moves (:class:`Generation`), so the
front's answers are exactly as fresh as the service's own; and every live-update event, which
the front publishes on a hub of its own: ``/api/v1/stream`` is served here (:class:`StreamFront`),
so a wall of screens costs the service one event line per event, not one frame per screen.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable, Hashable
from typing import Any

import httpx

from provnet.api.auth import ApiAuth, AuthGuard
from provnet.api.cache import ResponseCache
from provnet.api.events import EventHub, HubFull
from provnet.api.guard import WILDCARDS, SurfaceGuard, default_allowed_hosts
from provnet.api.scope import SCOPE_KEY

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Any]
Send = Callable[[Message], Any]
#: hop-by-hop headers (RFC 9110 7.6.1): never forwarded either way
HOP = frozenset({b"connection", b"keep-alive", b"proxy-connection", b"te", b"trailer",
                 b"transfer-encoding", b"upgrade"})
UPSTREAM_TIMEOUT_S = 60.0
#: idle connections to the service are closed by us before the service would (it keeps them
#: ``api.server.SERVICE_KEEPALIVE_S``): a request never goes out on a connection being closed
KEEPALIVE_S = 30.0


def _frozen(value: Any) -> Hashable:
    """A JSON value back as the hashable tuple it was sent as."""
    if isinstance(value, list):
        return tuple(_frozen(v) for v in value)
    return value  # type: ignore[no-any-return]


class Feed:
    """What the service tells the front, one JSON line each: its generation tokens
    (``{"token": [...], "inventory": n}``) as they move, and every live-update event
    (``{"event": "cycle", "data": {...}}``), published again on the front's own hub."""

    def __init__(self, hub: EventHub | None = None) -> None:
        self.token: Hashable = None
        self.inventory: Hashable = None
        self.updates = 0
        self.hub = hub or EventHub()

    def apply(self, line: bytes) -> None:
        """Take one line from the service; a line that is not ours is ignored."""
        try:
            msg = json.loads(line)
        except ValueError:
            return
        if not isinstance(msg, dict):
            return
        if "token" in msg:
            self.token = _frozen(msg["token"])
            self.inventory = _frozen(msg.get("inventory"))
            self.updates += 1
        elif isinstance(msg.get("event"), str):
            self.hub.publish(msg["event"], msg.get("data"))

    @staticmethod
    def generation_line(token: Hashable, inventory: Hashable) -> bytes:
        """The line the service sends when its generation moves."""
        return json.dumps({"token": token, "inventory": inventory}).encode() + b"\n"

    @staticmethod
    def event_line(event: str, data: Any) -> bytes:
        """The line the service sends for each event of its hub."""
        return json.dumps({"event": event, "data": data}, ensure_ascii=False,
                          default=str).encode() + b"\n"


def stale_ok(old: Hashable, new: Hashable) -> bool:
    """The service's rule (``ApiContext.stale_ok``): only the poll cycle moved."""
    if not (isinstance(old, tuple) and isinstance(new, tuple)) or len(old) != len(new):
        return False
    return old[1:] == new[1:]


class Upstream:
    """ASGI app: the request passed to the service over its Unix socket, the answer streamed
    back (event streams included); the client's address and scheme go as ``X-Forwarded-*``."""

    def __init__(self, uds: str, timeout: float = UPSTREAM_TIMEOUT_S) -> None:
        # no cap on connections: each open event stream holds one for its life, and a
        # capped pool would make every other request wait behind a wall of screens (the
        # service bounds its subscribers itself)
        self.client = httpx.AsyncClient(
            transport=httpx.AsyncHTTPTransport(uds=uds, retries=1, limits=httpx.Limits(
                max_connections=None, max_keepalive_connections=64,
                keepalive_expiry=KEEPALIVE_S)),
            timeout=httpx.Timeout(timeout, read=None), follow_redirects=False)

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self.client.aclose()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        body = await _read_all(receive)
        raw = scope.get("headers", ())
        # hop-by-hop: the fixed set, what Connection names, and what only we may say
        drop = HOP | {b"x-forwarded-for", b"x-forwarded-proto"} | {
            t.strip().lower() for k, v in raw if k.lower() == b"connection"
            for t in v.split(b",")}
        headers = [(k, v) for k, v in raw if k.lower() not in drop]
        client = scope.get("client")
        if client:
            headers.append((b"x-forwarded-for", client[0].encode("latin-1")))
        headers.append((b"x-forwarded-proto", scope.get("scheme", "http").encode()))
        query = scope.get("query_string", b"")
        url = "http://provnet" + scope.get("raw_path", scope["path"].encode()).decode(
            "latin-1") + ("?" + query.decode("latin-1") if query else "")
        request = self.client.build_request(scope["method"], url, headers=headers,
                                            content=body)
        try:
            answer = await self._send(request)
        except httpx.HTTPError as exc:
            await _unavailable(send, exc)
            return
        try:
            await send({"type": "http.response.start", "status": answer.status_code,
                        "headers": [(k, v) for k, v in answer.headers.raw
                                    if k.lower() not in HOP]})
            await _relay(answer, receive, send)
        finally:
            await answer.aclose()


    async def _send(self, request: httpx.Request) -> httpx.Response:
        """Send; a read that found its pooled connection closed by the service (it closes
        idle ones) is sent once more on a new connection, as a browser would."""
        try:
            return await self.client.send(request, stream=True)
        except (httpx.RemoteProtocolError, httpx.ReadError):
            if request.method not in ("GET", "HEAD"):
                raise
            return await self.client.send(request, stream=True)


async def _read_all(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


async def _relay(answer: httpx.Response, receive: Receive, send: Send) -> None:
    """Body chunks as they come; a client gone ends the relay."""
    async def copy() -> None:
        async for chunk in answer.aiter_raw():
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    async def gone() -> None:
        while (await receive())["type"] != "http.disconnect":
            pass

    await _first_of(copy(), gone())


async def _unavailable(send: Send, exc: Exception) -> None:
    body = json.dumps({"detail": f"the service behind the API front does not answer: "
                                 f"{type(exc).__name__}"}).encode()
    await send({"type": "http.response.start", "status": 503,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()),
                            (b"retry-after", b"5")]})
    await send({"type": "http.response.body", "body": body})


class StreamFront:
    """ASGI: ``/api/v1/stream`` (and its status) from the front's own hub, every other
    request to ``app``: the screens' streams never reach the service (one producer there,
    one relay of its events here)."""

    def __init__(self, app: Any, hub: EventHub) -> None:
        self.app, self.hub = app, hub

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD") or scope[
                "path"] not in ("/api/v1/stream", "/api/v1/stream/status"):
            await self.app(scope, receive, send)
            return
        if scope["path"].endswith("/status"):
            await _json(send, 200, self.hub.figures())
            return
        scoped = scope.get(SCOPE_KEY)  # set by AuthGuard for a district-scoped user
        try:
            sub = self.hub.subscribe(scoped.stream_filter if scoped is not None else None)
        except HubFull as exc:
            await _json(send, 503, {"detail": f"{exc}; retry later"})
            return
        await send({"type": "http.response.start", "status": 200, "headers": [
            (b"content-type", b"text/event-stream; charset=utf-8"),
            (b"cache-control", b"no-cache"), (b"x-accel-buffering", b"no")]})

        async def copy() -> None:
            async for data in sub.frames():
                await send({"type": "http.response.body", "body": data, "more_body": True})
            await send({"type": "http.response.body", "body": b"", "more_body": False})

        async def gone() -> None:
            while (await receive())["type"] != "http.disconnect":
                pass

        await _first_of(copy(), gone())
        self.hub.unsubscribe(sub)


async def _first_of(*coros: Any) -> None:
    """Run until the first ends; cancel the others; a failure of the first is raised."""
    tasks = [asyncio.ensure_future(c) for c in coros]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, httpx.HTTPError, OSError):
                await task
    first = tasks[0]
    if first.done() and not first.cancelled() and first.exception() is not None:
        raise first.exception()  # type: ignore[misc]


async def _json(send: Send, status: int, payload: Any) -> None:
    body = json.dumps(payload, ensure_ascii=False).encode()
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def front_app(upstream: Upstream, feed: Feed, auth: ApiAuth | None, *,
              max_body_bytes: int, allowed_hosts: list[str], bound_host: str
              ) -> tuple[Any, ResponseCache]:
    """The front's stack, outermost first: surface checks, roles, the stream from the
    front's hub, answer cache, upstream. The same layers, in the same order, as the
    service's own app (``api/app.py``)."""
    cache = ResponseCache(upstream, token=lambda: feed.token,
                          inventory_token=lambda: feed.inventory, stale_ok=stale_ok)
    streams = StreamFront(cache, feed.hub)
    inner: Any = AuthGuard(streams, auth=auth) if auth is not None else streams
    app = SurfaceGuard(inner, max_body_bytes=max_body_bytes,
                       allowed_hosts=default_allowed_hosts(bound_host, allowed_hosts),
                       any_ip=bound_host in WILDCARDS and not allowed_hosts)
    return app, cache

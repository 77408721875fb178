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
front's answers are exactly as fresh as the service's own.
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
from provnet.api.guard import WILDCARDS, SurfaceGuard, default_allowed_hosts

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Any]
Send = Callable[[Message], Any]
#: hop-by-hop headers (RFC 9110 7.6.1): never forwarded either way
HOP = frozenset({b"connection", b"keep-alive", b"proxy-connection", b"te", b"trailer",
                 b"transfer-encoding", b"upgrade"})
UPSTREAM_TIMEOUT_S = 60.0


def _frozen(value: Any) -> Hashable:
    """A JSON value back as the hashable tuple it was sent as."""
    if isinstance(value, list):
        return tuple(_frozen(v) for v in value)
    return value  # type: ignore[no-any-return]


class Generation:
    """The service's generation tokens as the front last heard them (one JSON line each:
    ``{"token": [...], "inventory": n}``)."""

    def __init__(self) -> None:
        self.token: Hashable = None
        self.inventory: Hashable = None
        self.updates = 0

    def apply(self, line: bytes) -> None:
        """Take one line from the service; a line that is not ours is ignored."""
        try:
            msg = json.loads(line)
        except ValueError:
            return
        if isinstance(msg, dict) and "token" in msg:
            self.token = _frozen(msg["token"])
            self.inventory = _frozen(msg.get("inventory"))
            self.updates += 1

    @staticmethod
    def encode(token: Hashable, inventory: Hashable) -> bytes:
        """The line the service sends."""
        return json.dumps({"token": token, "inventory": inventory}).encode() + b"\n"


def stale_ok(old: Hashable, new: Hashable) -> bool:
    """The service's rule (``ApiContext.stale_ok``): only the poll cycle moved."""
    if not (isinstance(old, tuple) and isinstance(new, tuple)) or len(old) != len(new):
        return False
    return old[1:] == new[1:]


class Upstream:
    """ASGI app: the request passed to the service over its Unix socket, the answer streamed
    back (event streams included); the client's address and scheme go as ``X-Forwarded-*``."""

    def __init__(self, uds: str, timeout: float = UPSTREAM_TIMEOUT_S) -> None:
        self.client = httpx.AsyncClient(
            transport=httpx.AsyncHTTPTransport(uds=uds),
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
            answer = await self.client.send(request, stream=True)
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
    """Body chunks as they come; a client gone (an event stream closed) ends the relay."""
    async def copy() -> None:
        async for chunk in answer.aiter_raw():
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    async def gone() -> None:
        while (await receive())["type"] != "http.disconnect":
            pass

    copier, watcher = asyncio.ensure_future(copy()), asyncio.ensure_future(gone())
    try:
        await asyncio.wait({copier, watcher}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (copier, watcher):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, httpx.HTTPError, OSError):
                await task
    if copier.done() and not copier.cancelled() and copier.exception() is not None:
        raise copier.exception()  # type: ignore[misc]


async def _unavailable(send: Send, exc: Exception) -> None:
    body = json.dumps({"detail": f"the service behind the API front does not answer: "
                                 f"{type(exc).__name__}"}).encode()
    await send({"type": "http.response.start", "status": 503,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()),
                            (b"retry-after", b"5")]})
    await send({"type": "http.response.body", "body": body})


def front_app(upstream: Upstream, generation: Generation, auth: ApiAuth | None, *,
              max_body_bytes: int, allowed_hosts: list[str], bound_host: str
              ) -> tuple[Any, ResponseCache]:
    """The front's stack, outermost first: surface checks, roles, answer cache, upstream.
    The same layers, in the same order, as the service's own app (``api/app.py``)."""
    cache = ResponseCache(upstream, token=lambda: generation.token,
                          inventory_token=lambda: generation.inventory, stale_ok=stale_ok)
    inner: Any = AuthGuard(cache, auth=auth) if auth is not None else cache
    app = SurfaceGuard(inner, max_body_bytes=max_body_bytes,
                       allowed_hosts=default_allowed_hosts(bound_host, allowed_hosts),
                       any_ip=bound_host in WILDCARDS and not allowed_hosts)
    return app, cache

"""Materialised answers: a GET under ``/api/v1`` is built once per generation and served as bytes.

Live state changes once per poll cycle and the inventory rarely, so an answer is the same for
every request of a cycle with the same path and query. :class:`ResponseCache` is a plain ASGI
middleware in front of the app: on a hit it answers from memory without routing, validation,
the thread pool or JSON encoding; ``ETag`` (a hash of the body) and ``304`` on
``If-None-Match`` spare the bytes too. Concurrent misses of one key are coalesced: one build,
every waiter served from it (no stampede when a cycle ends and every wall screen refreshes).

An entry is valid while the generation token (cycle count, inventory version, trap changes,
API writes) is unchanged and it is younger than its route's ``max_age``. Only 200, 404 and
422 answers are kept; streams (``text/event-stream``) pass through untouched. Memory is
bounded by entry count and total bytes (least recently used first out).

Stale while revalidate: when only the poll cycle moved (``stale_ok`` of the context: the
inventory, trap changes and API writes are unchanged) or the entry outlived its ``max_age``,
the previous answer (with its own ``ETag``) is served at once while one rebuild per key runs
in the background; the next request gets the new one. So a cycle's end no longer sends every
screen's request into a rebuild at once (issue 14). An answer is at most one rebuild late,
never older than ``stale_max_s``.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Any]
Send = Callable[[Message], Any]
App = Callable[[Scope, Receive, Send], Any]

CACHEABLE_STATUS = frozenset({200, 404, 422})
#: request headers that make an answer personal: part of the key when present
VARY_HEADERS = (b"authorization", b"cookie", b"accept-language", b"accept")


@dataclass(frozen=True, slots=True)
class Entry:
    """One materialised answer."""

    token: Hashable
    built: float
    status: int
    headers: tuple[tuple[bytes, bytes], ...]
    body: bytes
    etag: bytes


@dataclass
class CacheStats:
    """Counters for ``/api/v1/health`` and the benchmark."""

    hits: int = 0
    misses: int = 0
    coalesced: int = 0
    not_modified: int = 0
    bypassed: int = 0
    evicted: int = 0
    stale: int = 0  # answered from the previous generation while it was rebuilt


@dataclass
class CachePolicy:
    """Which paths are kept and for how long at most (seconds, besides the generation)."""

    prefix: str = "/api/v1/"
    default_max_age_s: float = 5.0
    #: longest prefix wins; 0 means never cache
    max_age_s: dict[str, float] = field(default_factory=lambda: {
        "/api/v1/health": 1.0, "/api/v1/stream": 0.0})
    #: answers from the inventory alone (units, coverage): kept across cycles, up to
    #: ``inventory_max_age_s``, while the inventory version holds
    inventory_prefixes: tuple[str, ...] = ("/api/v1/communes", "/api/v1/coverage")
    inventory_max_age_s: float = 60.0
    max_entries: int = 512
    max_bytes: int = 64 * 2**20
    max_entry_bytes: int = 8 * 2**20
    #: an entry older than this is never served stale (rebuilt in the foreground)
    stale_max_s: float = 30.0

    def max_age(self, path: str) -> float:
        """The route's ``max_age``; 0: not cached."""
        if not path.startswith(self.prefix):
            return 0.0
        best, age = -1, self.default_max_age_s
        for prefix, value in self.max_age_s.items():
            if path.startswith(prefix) and len(prefix) > best:
                best, age = len(prefix), value
        return age


def etag_of(body: bytes) -> bytes:
    """A strong ETag from the body: the same answer keeps its tag across rebuilds."""
    return b'"' + hashlib.blake2b(body, digest_size=12).hexdigest().encode() + b'"'


def etag_matches(if_none_match: bytes, etag: bytes) -> bool:
    """``If-None-Match`` (a list, ``*``, weak tags) against our tag."""
    if if_none_match.strip() == b"*":
        return True
    for tag in if_none_match.split(b","):
        tag = tag.strip()
        if tag.startswith(b"W/"):
            tag = tag[2:]
        if tag == etag:
            return True
    return False


class _Capture:
    """Collects a downstream answer; switches to pass-through for a stream."""

    def __init__(self, send: Send, limit: int) -> None:
        self.send, self.limit = send, limit
        self.start: Message | None = None
        self.chunks: list[bytes] = []
        self.size = 0
        self.passthrough = False

    async def __call__(self, message: Message) -> None:
        if self.passthrough:
            await self.send(message)
            return
        if message["type"] == "http.response.start":
            self.start = message
            ctype = dict(message.get("headers", ())).get(b"content-type", b"")
            if ctype.startswith(b"text/event-stream"):
                self.passthrough = True
                await self.send(message)
            return
        if message["type"] == "http.response.body":
            body = message.get("body", b"")
            self.chunks.append(body)
            self.size += len(body)
            if self.size > self.limit:  # too large to keep: hand it on as it comes
                self.passthrough = True
                await self._flush_partial(more=message.get("more_body", False))

    async def _flush_partial(self, more: bool) -> None:
        assert self.start is not None
        await self.send(self.start)
        await self.send({"type": "http.response.body", "body": b"".join(self.chunks),
                         "more_body": more})
        self.chunks.clear()


class ResponseCache:
    """ASGI middleware: materialised GET answers per generation token (see module doc)."""

    def __init__(self, app: App, token: Callable[[], Hashable],
                 policy: CachePolicy | None = None,
                 clock: Callable[[], float] = time.monotonic, register: Any = None,
                 inventory_token: Callable[[], Hashable] | None = None,
                 stale_ok: Callable[[Hashable, Hashable], bool] | None = None) -> None:
        self.app, self.token, self.clock = app, token, clock
        self.inventory_token = inventory_token
        #: may an answer of generation ``old`` be served while ``new``'s is built? Defaults to
        #: the context's ``stale_ok`` (only the cycle moved); without one, only on age
        self.stale_ok = stale_ok or getattr(register, "stale_ok", None)
        self._revalidating: set[asyncio.Task[None]] = set()
        if register is not None:  # the ApiContext: /api/v1/health shows our figures
            register.cache_figures = self.figures
        self.policy = policy or CachePolicy()
        self.stats = CacheStats()
        self.writes = 0  # non-GET requests seen: part of the token (an ack shows at once)
        self._entries: OrderedDict[tuple[Any, ...], Entry] = OrderedDict()
        self._bytes = 0
        self._building: dict[tuple[Any, ...], asyncio.Future[Entry | None]] = {}

    # --- ASGI ----------------------------------------------------------------------------
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        if method not in ("GET", "HEAD"):
            self.writes += 1
            try:
                await self.app(scope, receive, send)
            finally:
                self.writes += 1  # the write has landed: answers built meanwhile are stale
            return
        max_age = self.policy.max_age(scope["path"])
        if max_age <= 0:
            self.stats.bypassed += 1
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers", ()))
        key = (method, scope["path"], scope.get("query_string", b""),
               *(headers.get(h) for h in VARY_HEADERS))
        if self.inventory_token is not None and scope["path"].startswith(
                self.policy.inventory_prefixes):
            token: Hashable = ("inventory", self.inventory_token(), self.writes)
            max_age = self.policy.inventory_max_age_s
        else:
            token = (self.token(), self.writes)
        entry = self._fresh(key, token, max_age)
        if entry is not None:
            self.stats.hits += 1
        elif (entry := self._stale(key, token)) is not None:
            self.stats.stale += 1
            self._revalidate(key, token, scope)
        else:
            entry = await self._build(key, token, scope, receive, send)
            if entry is None:
                return  # answered by the app directly (not cacheable)
        await self._reply(entry, headers.get(b"if-none-match"), send, method == "HEAD")

    # --- entries -------------------------------------------------------------------------
    def _fresh(self, key: tuple[Any, ...], token: Hashable, max_age: float) -> Entry | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry.token != token or self.clock() - entry.built >= max_age:
            return None
        self._entries.move_to_end(key)
        return entry

    def _stale(self, key: tuple[Any, ...], token: Hashable) -> Entry | None:
        """The previous answer, if it may be served while the new one is built."""
        entry = self._entries.get(key)
        if entry is None or self.clock() - entry.built >= self.policy.stale_max_s:
            return None
        if entry.token == token or self._may_serve(entry.token, token):
            return entry
        return None

    def _may_serve(self, old: Hashable, new: Hashable) -> bool:
        if self.stale_ok is None or not (isinstance(old, tuple) and isinstance(new, tuple)):
            return False
        if len(old) != 2 or len(new) != 2 or old[1] != new[1]:  # an API write: never stale
            return False
        return bool(self.stale_ok(old[0], new[0]))

    def _revalidate(self, key: tuple[Any, ...], token: Hashable, scope: Scope) -> None:
        """One background rebuild of ``key`` (joined by any foreground miss meanwhile)."""
        if key in self._building:
            return
        sent = False

        async def receive() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": b"", "more_body": False}
            await asyncio.Event().wait()  # no disconnect: the answer is for the cache
            return {"type": "http.disconnect"}

        async def discard(message: Message) -> None:
            """An answer that cannot be kept is dropped (no client waits for it)."""

        async def rebuild() -> None:
            with contextlib.suppress(Exception):  # logged by the app; the old entry stays
                await self._build(key, token, dict(scope, method="GET"), receive, discard,
                                  background=True)

        task = asyncio.get_running_loop().create_task(rebuild())
        self._revalidating.add(task)
        task.add_done_callback(self._revalidating.discard)

    async def _build(self, key: tuple[Any, ...], token: Hashable, scope: Scope,
                     receive: Receive, send: Send, background: bool = False) -> Entry | None:
        pending = self._building.get(key)
        if pending is not None:
            self.stats.coalesced += 1
            shared = await asyncio.shield(pending)
            if shared is not None:
                return shared
            # the build was not cacheable: this request runs on its own
            await self.app(scope, receive, send)
            return None
        if not background:
            self.stats.misses += 1
        fut: asyncio.Future[Entry | None] = asyncio.get_running_loop().create_future()
        self._building[key] = fut
        entry: Entry | None = None
        try:
            entry = await self._run(scope, receive, send, token)
        finally:
            del self._building[key]
            fut.set_result(entry)
        if entry is not None:
            self._store(key, entry)
        return entry

    async def _run(self, scope: Scope, receive: Receive, send: Send,
                   token: Hashable) -> Entry | None:
        """Run the app; an Entry if the answer can be kept, else it was sent already."""
        cap = _Capture(send, self.policy.max_entry_bytes)
        await self.app(dict(scope, method="GET"), receive, cap)
        if cap.passthrough:
            return None
        start = cap.start
        body = b"".join(cap.chunks)
        if start is None:
            return None
        status = int(start["status"])
        kept = tuple((k, v) for k, v in start.get("headers", ())
                     if k.lower() not in (b"content-length", b"etag", b"cache-control"))
        if status not in CACHEABLE_STATUS or any(k.lower() == b"set-cookie" for k, _ in kept):
            await send(start)
            await send({"type": "http.response.body", "body": body})
            return None
        return Entry(token, self.clock(), status, kept, body, etag_of(body))

    def _store(self, key: tuple[Any, ...], entry: Entry) -> None:
        old = self._entries.pop(key, None)
        if old is not None:
            self._bytes -= len(old.body)
        self._entries[key] = entry
        self._bytes += len(entry.body)
        while self._entries and (len(self._entries) > self.policy.max_entries
                                 or self._bytes > self.policy.max_bytes):
            _, gone = self._entries.popitem(last=False)
            self._bytes -= len(gone.body)
            self.stats.evicted += 1

    async def _reply(self, entry: Entry, if_none_match: bytes | None, send: Send,
                     head: bool) -> None:
        cache_headers = [(b"etag", entry.etag), (b"cache-control", b"no-cache")]
        if entry.status == 200 and if_none_match and etag_matches(if_none_match, entry.etag):
            self.stats.not_modified += 1
            await send({"type": "http.response.start", "status": 304,
                        "headers": cache_headers})
            await send({"type": "http.response.body", "body": b""})
            return
        headers = [*entry.headers, (b"content-length", str(len(entry.body)).encode()),
                   *cache_headers]
        await send({"type": "http.response.start", "status": entry.status,
                    "headers": headers})
        await send({"type": "http.response.body", "body": b"" if head else entry.body})

    # --- introspection -------------------------------------------------------------------
    def figures(self) -> dict[str, int]:
        """Counters and sizes, for ``/api/v1/health``."""
        s = self.stats
        return {"cache_hits": s.hits, "cache_misses": s.misses, "cache_coalesced": s.coalesced,
                "cache_not_modified": s.not_modified, "cache_stale": s.stale,
                "cache_entries": len(self._entries),
                "cache_bytes": self._bytes}

    def clear(self) -> None:
        """Forget every entry (inventory reloads)."""
        self._entries.clear()
        self._bytes = 0

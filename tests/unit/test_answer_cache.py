"""The answer cache (api/cache.py) in front of a small FastAPI app: one build per generation,
ETag and 304, coalesced misses, bounded memory, writes and streams pass through."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI, HTTPException
from fastapi.responses import StreamingResponse

from provnet.api.cache import CachePolicy, ResponseCache, etag_matches


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class World:
    """The 'live state' the app answers from, and how often it was asked."""

    def __init__(self) -> None:
        self.generation = 0
        self.value = "a"
        self.builds = 0
        self.slow_s = 0.0
        self.lock = threading.Lock()


def make(world: World, policy: CachePolicy | None = None,
         clock: list[float] | None = None) -> tuple[FastAPI, ResponseCache]:
    app = FastAPI()

    @app.get("/api/v1/things")
    def things(q: str | None = None) -> dict[str, str | None]:
        with world.lock:
            world.builds += 1
        time.sleep(world.slow_s)
        return {"value": world.value, "q": q}

    @app.get("/api/v1/things/{n}")
    def thing(n: int) -> dict[str, int]:
        with world.lock:
            world.builds += 1
        if n > 9:
            raise HTTPException(404, "no such thing")
        return {"n": n}

    @app.post("/api/v1/things")
    def change() -> dict[str, str]:
        world.value = "posted"
        return {"ok": "yes"}

    @app.get("/api/v1/stream")
    def stream() -> StreamingResponse:
        async def gen() -> AsyncIterator[bytes]:
            for i in range(3):
                yield f"data: {i}\n\n".encode()
        return StreamingResponse(gen(), media_type="text/event-stream")

    @app.get("/api/v1/big")
    def big() -> dict[str, str]:
        with world.lock:
            world.builds += 1
        return {"x": "y" * 5000}

    now = clock if clock is not None else [0.0]
    cache = ResponseCache(app, lambda: world.generation, policy or CachePolicy(),
                          clock=lambda: now[0])
    return app, cache


async def settled(cache: ResponseCache) -> None:
    """Wait for the background rebuilds (stale while revalidate)."""
    while cache._revalidating:
        await asyncio.gather(*cache._revalidating)


def client(cache: ResponseCache) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=cache), base_url="http://t")


@pytest.mark.anyio
async def test_one_build_per_generation_and_etag() -> None:
    world = World()
    _, cache = make(world)
    async with client(cache) as c:
        first = await c.get("/api/v1/things", params={"q": "x"})
        second = await c.get("/api/v1/things", params={"q": "x"})
        assert first.json() == second.json() == {"value": "a", "q": "x"}
        assert world.builds == 1
        etag = first.headers["etag"]
        assert etag == second.headers["etag"] and first.headers["cache-control"] == "no-cache"
        assert int(first.headers["content-length"]) == len(first.content)
        # another query is another answer
        await c.get("/api/v1/things", params={"q": "y"})
        assert world.builds == 2
        # 304 when the client has the current answer
        nm = await c.get("/api/v1/things", params={"q": "x"}, headers={"if-none-match": etag})
        assert nm.status_code == 304 and nm.content == b"" and nm.headers["etag"] == etag
        # the next cycle: rebuilt; same content keeps its tag, new content gets a new one
        world.generation += 1
        again = await c.get("/api/v1/things", params={"q": "x"}, headers={"if-none-match": etag})
        assert again.status_code == 304 and world.builds == 3
        world.generation += 1
        world.value = "b"
        changed = await c.get("/api/v1/things", params={"q": "x"},
                              headers={"if-none-match": etag})
        assert changed.status_code == 200 and changed.json()["value"] == "b"
        assert changed.headers["etag"] != etag
    assert cache.figures()["cache_hits"] == 2  # the second GET and the first 304


@pytest.mark.anyio
async def test_max_age_and_errors_kept_per_route() -> None:
    world, now = World(), [100.0]
    _, cache = make(world, CachePolicy(default_max_age_s=5.0), clock=now)
    async with client(cache) as c:
        await c.get("/api/v1/things")
        now[0] += 4.9
        await c.get("/api/v1/things")
        assert world.builds == 1
        now[0] += 0.2  # older than max_age: rebuilt even in the same generation
        await c.get("/api/v1/things")  # served the kept answer while it is rebuilt
        await settled(cache)
        assert world.builds == 2 and cache.stats.stale == 1
        missing = [await c.get("/api/v1/things/12") for _ in range(3)]
        assert [r.status_code for r in missing] == [404] * 3
        assert missing[2].json() == {"detail": "no such thing"} and world.builds == 3
        bad = await c.get("/api/v1/things/abc")
        assert bad.status_code == 422


@pytest.mark.anyio
async def test_concurrent_misses_build_once() -> None:
    world = World()
    world.slow_s = 0.2
    _, cache = make(world)
    async with client(cache) as c:
        answers = await asyncio.gather(*(c.get("/api/v1/things") for _ in range(20)))
    assert {r.status_code for r in answers} == {200}
    assert world.builds == 1 and cache.stats.coalesced == 19


@pytest.mark.anyio
async def test_a_write_invalidates_and_passes_through() -> None:
    world = World()
    _, cache = make(world)
    async with client(cache) as c:
        assert (await c.get("/api/v1/things")).json()["value"] == "a"
        assert (await c.post("/api/v1/things")).json() == {"ok": "yes"}
        assert (await c.get("/api/v1/things")).json()["value"] == "posted"
    assert world.builds == 2


@pytest.mark.anyio
async def test_streams_pass_through_and_are_not_kept() -> None:
    world = World()
    _, cache = make(world)
    async with client(cache) as c:
        for _ in range(2):
            r = await c.get("/api/v1/stream")
            assert r.text == "data: 0\n\ndata: 1\n\ndata: 2\n\n"
            assert "etag" not in r.headers
    assert cache.figures()["cache_entries"] == 0


@pytest.mark.anyio
async def test_memory_bounds() -> None:
    world = World()
    _, cache = make(world, CachePolicy(max_entries=3, max_bytes=10**6, max_entry_bytes=1000))
    async with client(cache) as c:
        for i in range(6):
            await c.get("/api/v1/things", params={"q": str(i)})
        assert cache.figures()["cache_entries"] == 3 and cache.stats.evicted == 3
        # too large to keep: served whole, never stored
        for _ in range(2):
            r = await c.get("/api/v1/big")
            assert len(r.json()["x"]) == 5000
    assert world.builds == 8 and cache.figures()["cache_entries"] == 3


@pytest.mark.parametrize(("header", "match"), [
    ('"abc"', True), ('W/"abc"', True), ('"x", "abc"', True), ("*", True), ('"abd"', False),
])
def test_if_none_match(header: str, match: bool) -> None:
    assert etag_matches(header.encode(), b'"abc"') is match


def test_paths_outside_the_api_and_zero_max_age_bypass() -> None:
    policy = CachePolicy()
    assert policy.max_age("/maps/province") == 0.0
    assert policy.max_age("/api/v1/stream") == 0.0
    assert policy.max_age("/api/v1/health") == 1.0
    assert policy.max_age("/api/v1/links") == policy.default_max_age_s


@pytest.mark.anyio
async def test_inventory_answers_outlive_the_cycle() -> None:
    world, now = World(), [0.0]
    app = FastAPI()

    @app.get("/api/v1/communes")
    def communes() -> dict[str, int]:
        world.builds += 1
        return {"n": world.builds}

    inventory = [1]
    cache = ResponseCache(app, lambda: world.generation, CachePolicy(), clock=lambda: now[0],
                          inventory_token=lambda: inventory[0])
    async with client(cache) as c:
        await c.get("/api/v1/communes")
        world.generation += 5  # cycles go by
        now[0] += 30
        assert (await c.get("/api/v1/communes")).json() == {"n": 1}
        inventory[0] += 1  # the inventory changed
        assert (await c.get("/api/v1/communes")).json() == {"n": 2}
        now[0] += 61  # and at most a minute in any case
        assert (await c.get("/api/v1/communes")).json() == {"n": 3}


@pytest.mark.anyio
async def test_stale_while_revalidate_when_only_the_cycle_moved() -> None:
    """Generation (cycle, inventory): the next cycle's first requests get the previous answer
    (its own ETag) while one background build makes the new one; an inventory change or an
    API write is never served stale."""
    world = World()
    gen = {"cycle": 0, "inventory": 0}
    app = make(world)[0]
    cache = ResponseCache(app, lambda: (gen["cycle"], gen["inventory"]), CachePolicy(),
                          stale_ok=lambda old, new: old[1] == new[1])  # type: ignore[index]
    async with client(cache) as c:
        first = await c.get("/api/v1/things")
        world.value, world.slow_s = "b", 0.2
        gen["cycle"] += 1
        during = await asyncio.gather(*(c.get("/api/v1/things") for _ in range(10)))
        assert {r.json()["value"] for r in during} == {"a"}
        assert {r.headers["etag"] for r in during} == {first.headers["etag"]}
        nm = await c.get("/api/v1/things", headers={"if-none-match": first.headers["etag"]})
        assert nm.status_code == 304  # the tag matches the body it was served with
        await settled(cache)
        assert world.builds == 2 and cache.stats.stale == 11
        after = await c.get("/api/v1/things")
        assert after.json()["value"] == "b" and after.headers["etag"] != first.headers["etag"]
        # the inventory changed: rebuilt before answering
        world.value, world.slow_s = "c", 0.0
        gen["inventory"] += 1
        assert (await c.get("/api/v1/things")).json()["value"] == "c"
        # an API write: the next read shows it at once, even with only the cycle moved after
        await c.post("/api/v1/things")
        gen["cycle"] += 1
        assert (await c.get("/api/v1/things")).json()["value"] == "posted"
        assert world.builds == 4

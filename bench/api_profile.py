"""Where one API request's time goes: cProfile of the routes in-process (no network).

Seeds the demo inventory in a temporary SQLite file, feeds the live state with one poll of
every device, then calls each route ``--n`` times through the ASGI app, without the answer
cache (what every request cost before it) and with it (a cycle's answer served again), and
prints ms per request and the top functions of the uncached full link list.
Run from the repo root: ``.venv/bin/python bench/api_profile.py``.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import pstats
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT)]

from provnet.api.app import create_app  # noqa: E402
from provnet.api.context import ApiContext  # noqa: E402
from provnet.demo.seed import seed_demo  # noqa: E402
from provnet.inventory import queries  # noqa: E402
from provnet.inventory.store import open_store  # noqa: E402
from provnet.pollers.live import LiveState  # noqa: E402
from provnet.pollers.types import IfRates, IfSample, PollResult, SnmpTarget  # noqa: E402

ROUTES = ["/api/v1/links?limit=1000", "/api/v1/links?limit=50", "/api/v1/links/1/health",
          "/api/v1/devices?limit=50", "/api/v1/communes?q=tri%20ton", "/api/v1/health"]


def live_state(store: object) -> tuple[LiveState, list[SnmpTarget]]:
    live = LiveState()
    with store.session() as s:  # type: ignore[attr-defined]
        links, devices = queries.links(s), queries.devices(s)
    ports: dict[int, set[int]] = {d.id: set() for d in devices}
    for r in links:
        ports[r.a_device_id].add(r.a_ifindex)
        ports[r.z_device_id].add(r.z_ifindex)
    now = time.time()
    targets = [SnmpTarget(d.id, d.hostname, d.mgmt_address) for d in devices]
    for t in targets:
        samples = {i: IfSample(i, oper_status=1, high_speed_mbps=1000) for i in ports[t.device_id]}
        live.update(PollResult(t, now, 0.02, 1234, samples, 10),
                    {i: IfRates(in_bps=2e7, out_bps=5e6) for i in samples})
    return live, targets


async def timed(app: object, path: str, n: int) -> float:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),  # type: ignore[arg-type]
                                 base_url="http://bench") as c:
        await c.get(path)
        t = time.perf_counter()
        for _ in range(n):
            r = await c.get(path)
            assert r.status_code == 200, (path, r.status_code, r.text[:200])
        return (time.perf_counter() - t) / n * 1000


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=50)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(f"sqlite:///{tmp}/inv.sqlite")
        seed_demo(store)
        live, targets = live_state(store)
        plain = create_app(ApiContext(store=store, live=live, stale_after_s=600,
                                      targets=lambda: targets))
        cached = create_app(ApiContext(store=store, live=live, stale_after_s=600,
                                       targets=lambda: targets, cycles=lambda: 1))
        print(f"{'route':34s} {'uncached':>10s} {'cached':>10s}   (ms per request, in-process)")
        for path in ROUTES:
            a = asyncio.run(timed(plain, path, args.n))
            b = asyncio.run(timed(cached, path, args.n))
            print(f"{path:34s} {a:10.2f} {b:10.3f}")
        # the routes run in the thread pool, out of cProfile's sight: run them inline here
        import fastapi.dependencies.utils as fdu
        import fastapi.routing as fr

        async def inline(func, *a, **kw):  # type: ignore[no-untyped-def]
            return func(*a, **kw)

        fr.run_in_threadpool = fdu.run_in_threadpool = inline  # type: ignore[assignment]
        prof = cProfile.Profile()
        prof.enable()
        asyncio.run(timed(plain, ROUTES[0], args.n))
        prof.disable()
        out = io.StringIO()
        pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(18)
        print(f"\ntop functions (own time) of {args.n} uncached {ROUTES[0]}:")
        print("\n".join(out.getvalue().splitlines()[6:32]))


if __name__ == "__main__":
    main()

"""Home page, overview and search answer times, against ``/api/v1/links`` in the same run.

Demo inventory (SQLite), one simulated poll of every device with PoP Tri Tôn down, the real
coverage engine; the app in process (``TestClient``: no network). Prints the first (cold)
home render, then the median and max of ``--n`` requests per route, and the baseline: the
existing ``GET /api/v1/links?limit=200`` over the same live state.

    PYTHONPATH=. python bench/web_home.py --n 20
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from fastapi.testclient import TestClient

from provnet.api.app import create_app
from provnet.api.context import ApiContext
from provnet.api.health import health_router
from provnet.api.overview import overview_router
from provnet.api.search import search_router
from provnet.api.ui.home import home_router
from provnet.config.settings import load_settings
from provnet.demo.seed import seed_demo
from provnet.inventory import queries
from provnet.inventory.store import Store, open_store
from provnet.maps.coverage import CoverageService
from provnet.maps.overview import OverviewSource
from provnet.pollers.live import LiveState
from provnet.pollers.types import IfRates, IfSample, PollResult, SnmpTarget


def feed(live: LiveState, store: Store, failed: str) -> None:
    """One poll of every device; ``failed`` does not answer and its links are down."""
    now = time.time()
    with store.session() as s:
        links, devices = queries.links(s), queries.devices(s)
    ports: dict[int, dict[int, int]] = {d.id: {} for d in devices}
    for r in links:
        oper = 2 if failed in (r.a_device, r.z_device) else 1
        ports[r.a_device_id][r.a_ifindex] = oper
        ports[r.z_device_id][r.z_ifindex] = oper
    for d in devices:
        target = SnmpTarget(d.id, d.hostname, d.mgmt_address)
        if d.hostname == failed:
            live.update(PollResult(target, now, 2.0, error="timeout"), {})
            continue
        live.update(PollResult(target, now, 0.02, 1234,
                               {i: IfSample(i, oper_status=o) for i, o in ports[d.id].items()},
                               10), {i: IfRates(1e6, 1e5, 0.0, 0.0) for i in ports[d.id]})


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=20)
    n = ap.parse_args().n
    d = Path(tempfile.mkdtemp(prefix="provnet-bench-home-"))
    store = open_store(f"sqlite:///{d / 'i.sqlite'}")
    seed_demo(store)
    live = LiveState()
    feed(live, store, "ag-pop-891")
    cov = CoverageService(store, load_settings(state_dir=d))
    cov.refresh()
    src = OverviewSource(store, live, stale_after_s=600, coverage=cov)
    ctx = ApiContext(store=store, live=live, stale_after_s=600)
    c = TestClient(create_app(ctx, [overview_router(src), home_router(src), search_router(store),
                                    health_router(ctx)]))
    t = time.perf_counter()
    assert c.get("/").status_code == 200
    print(f"first / (cold: inventory frame, coverage at the commune centres): "
          f"{(time.perf_counter() - t) * 1000:.0f} ms")
    for path in ("/", "/api/v1/overview", "/api/v1/search?q=tri+ton",
                 "/api/v1/search?q=AG-TSL-305", "/api/v1/links?limit=200"):
        xs = []
        for _ in range(n):
            t = time.perf_counter()
            assert c.get(path).status_code == 200, path
            xs.append((time.perf_counter() - t) * 1000)
        base = "  (baseline: an existing live list)" if "links" in path else ""
        print(f"{path:32s} median {statistics.median(xs):6.1f} ms  max {max(xs):6.1f} ms{base}")
    store.close()


if __name__ == "__main__":
    main()

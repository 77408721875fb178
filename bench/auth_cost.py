"""What identity costs a request: argon2id, the token check (cached and not), and one route
served in-process with ``AuthGuard`` against the same app without it, in the same run.

Run from the repo root: ``.venv/bin/python bench/auth_cost.py [--n 2000]``.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT)]

from provnet.api.app import create_app  # noqa: E402
from provnet.api.auth import ApiAuth  # noqa: E402
from provnet.api.context import ApiContext  # noqa: E402
from provnet.demo.seed import seed_demo  # noqa: E402
from provnet.inventory import auth  # noqa: E402
from provnet.inventory.store import open_store  # noqa: E402
from provnet.pollers.live import LiveState  # noqa: E402


async def per_request(app: object, path: str, n: int, headers: dict[str, str]) -> float:
    """Median of 5 runs of ``n`` sequential requests: ms per request."""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),  # type: ignore[arg-type]
                                 base_url="http://127.0.0.1", headers=headers) as c:
        r = await c.get(path)
        assert r.status_code == 200, r.text
        runs = []
        for _ in range(5):
            t = time.perf_counter()
            for _ in range(n):
                await c.get(path)
            runs.append((time.perf_counter() - t) / n * 1e3)
    return statistics.median(runs)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=1000)
    args = ap.parse_args()
    d = Path(tempfile.mkdtemp(prefix="auth-cost-"))
    store = open_store(f"sqlite:///{d / 'inventory.sqlite'}")
    seed_demo(store)
    t = time.perf_counter()
    h = auth.hash_password("mật khẩu đủ dài")
    hash_ms = (time.perf_counter() - t) * 1e3
    t = time.perf_counter()
    auth.verify_password(h, "mật khẩu đủ dài")
    verify_ms = (time.perf_counter() - t) * 1e3
    secret = auth.server_secret(d)
    auth.add_user(store, "bench", "viewer")
    _, token = auth.create_token(store, secret, "bench")
    a = auth.Authenticator(store, secret)
    a.token(token, "127.0.0.1")
    t = time.perf_counter()
    for _ in range(args.n):
        a.token(token, "127.0.0.1")
    hit_us = (time.perf_counter() - t) / args.n * 1e6
    cold = auth.Authenticator(store, secret, ttl_s=0, touch_s=1e9)
    cold.token(token, "127.0.0.1")
    t = time.perf_counter()
    for _ in range(200):
        cold.token(token, "127.0.0.1")
    miss_us = (time.perf_counter() - t) / 200 * 1e6
    print(f"argon2id hash {hash_ms:.0f} ms, verify {verify_ms:.0f} ms (per login)")
    print(f"token check: cached {hit_us:.1f} us, from SQL {miss_us:.0f} us "
          f"(once per token per 5 s)")
    live = LiveState()
    plain = create_app(ApiContext(store=store, live=live))
    guarded = create_app(ApiContext(store=store, live=live, auth=ApiAuth(a)))
    bearer = {"Authorization": f"Bearer {token}"}
    for path in ("/api/v1/health", "/api/v1/communes?limit=50"):
        base = asyncio.run(per_request(plain, path, args.n, {}))
        with_auth = asyncio.run(per_request(guarded, path, args.n, bearer))
        print(f"{path}: {base:.3f} ms without identity, {with_auth:.3f} ms with a token "
              f"(+{(with_auth - base) * 1e3:.0f} us)")
    store.close()


if __name__ == "__main__":
    main()

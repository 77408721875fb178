"""Benchmark: outbox enqueue -> receipt latency and burst throughput, real loopback receivers.

A provnet Outbox (SQLite store, ``run`` loop as in the service) delivers to a webhook receiver
(``http.server`` thread) and an SMTP server (aiosmtpd). Phase 1 enqueues ``--n`` notifications
one at a time (distinct incidents, 50 ms apart) and reports the enqueue -> received latency per
channel; phase 2 enqueues ``--burst`` at once and reports the time until all are delivered.
Run from the repo root: ``.venv/bin/python bench/notify_latency.py``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from provnet.alerts.notify.codec import from_dict
from provnet.alerts.notify.outbox import Outbox
from provnet.alerts.notify.types import Notification
from provnet.config.notify import NotifierSettings
from provnet.inventory.store import open_store
from tests.support.notify_receivers import HttpReceiver, SmtpReceiver

CASE = Path(__file__).resolve().parents[1] / "tests/data/notify/firing-vi/input.json"


def notification(i: int) -> Notification:
    n = from_dict(json.loads(CASE.read_text(encoding="utf-8"))["notification"])
    return replace(n, key=f"bench-{i}", incident=replace(n.incident, id=1000 + i))


def pct(values: list[float], q: float) -> float:
    return sorted(values)[min(len(values) - 1, int(q * len(values)))]


async def main(n: int, burst: int) -> None:
    http, smtp = HttpReceiver().start(), SmtpReceiver().start()
    seen: dict[str, dict[str, float]] = {"webhook": {}, "email": {}}
    http.respond = lambda req: (
        seen["webhook"].setdefault(req.json()["key"], time.perf_counter()),
        (200, b"{}"),
    )[1]
    store = open_store(f"sqlite:///{tempfile.mkdtemp()}/bench.db")
    settings = NotifierSettings.model_validate(
        {
            "webhook": {"enabled": True, "url": f"{http.url}/hook"},
            "email": {"enabled": True, "port": smtp.port, "recipients": ["noc@x.vn"]},
        }
    )
    outbox = Outbox(store, settings)
    stop = asyncio.Event()
    runner = asyncio.create_task(outbox.run(stop))
    await asyncio.sleep(0.2)

    async def wait_all(keys: list[str]) -> None:
        while True:
            for (_, _, msg), at in zip(smtp.messages, smtp.received_at, strict=False):
                seen["email"].setdefault(msg["Message-ID"].strip("<>").split("@")[0], at)
            if all(k in seen["webhook"] and k in seen["email"] for k in keys):
                return
            await asyncio.sleep(0.005)

    sent: dict[str, float] = {}
    for i in range(n):
        key = f"bench-{i}"
        sent[key] = time.perf_counter()
        outbox.enqueue(notification(i))
        await asyncio.sleep(0.05)
    await wait_all(list(sent))
    for channel in ("webhook", "email"):
        lat = [(seen[channel][k] - t) * 1000 for k, t in sent.items()]
        print(
            f"{channel:8s} enqueue->received  median {statistics.median(lat):6.1f} ms"
            f"  p95 {pct(lat, 0.95):6.1f} ms  max {max(lat):6.1f} ms  (n={n})"
        )

    keys = [f"bench-{n + i}" for i in range(burst)]
    t0 = time.perf_counter()
    for i in range(burst):
        outbox.enqueue(notification(n + i))
    t_enq = time.perf_counter() - t0
    await wait_all(keys)
    total = time.perf_counter() - t0
    print(
        f"burst    {burst} notifications x 2 channels: enqueue {t_enq * 1000 / burst:.2f} ms each,"
        f" all delivered in {total:.2f} s ({2 * burst / total:.0f} deliveries/s)"
    )
    stop.set()
    await runner
    http.stop()
    smtp.stop()


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=30)
    ap.add_argument("--burst", type=int, default=200)
    args = ap.parse_args()
    asyncio.run(main(args.n, args.burst))

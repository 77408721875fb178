"""1,000 live-update subscribers on the running demo: half read ``/api/v1/stream``, half connect
and never read. The poll cycle keeps its period and its CPU, and the service's memory stays
within the stated bound (``STREAM_BYTES_PER_SUBSCRIBER`` each, and flat from cycle to cycle).
"""

from __future__ import annotations

import asyncio
import statistics
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.demo_proc import DemoProcess

pytestmark = [pytest.mark.integration, pytest.mark.serial]  # measures timing under load: runs alone

INTERVAL = 2.0
SUBSCRIBERS = 1000
#: the stated bound: what one subscriber may cost the service (connection, request, queue,
#: its authorised identity). Measured 32 KiB before authentication landed, ~66 KiB after
#: (issue 13: every request carries its checked identity); the bound leaves room above that.
STREAM_BYTES_PER_SUBSCRIBER = 96 * 1024
#: what one subscriber adds in the API front (``api.front``): its client connection, the
#: connection to the service it holds open, the relay's two tasks
FRONT_BYTES_PER_SUBSCRIBER = 64 * 1024
#: growth allowed from one cycle to the next once everyone is connected
DRIFT_BYTES = 8 * 2**20


def rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def api_rss(demo: DemoProcess) -> int:
    """The service's memory, and its API front's when it has one (``api.front``)."""
    return rss(demo.proc.pid) + sum(rss(pid) for pid in fronts_of(demo.proc.pid))


def fronts_of(pid: int) -> list[int]:
    """The service's ``provnet.front`` children."""
    out = []
    for entry in Path("/proc").iterdir():
        try:
            if (entry.name.isdigit() and b"provnet.front" in (entry / "cmdline").read_bytes()
                    and int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid):
                out.append(int(entry.name))
        except OSError:
            continue
    return out


@pytest.fixture(scope="module", params=[False, True], ids=["in-service", "front"])
def demo(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
         ) -> Iterator[DemoProcess]:
    state = tmp_path_factory.mktemp("stream")
    args = ["--duration", "200", "--interval", str(INTERVAL)]
    if request.param:  # the API answered by its own process: streams pass through it
        (state / "front.yaml").write_text("api: {front: true}\n", encoding="utf-8")
        args += ["--config", str(state / "front.yaml")]
    d = DemoProcess(state, state / "demo.out", args)
    try:
        # past the first cycles (discovery, coverage): the baseline is steady polling
        d.wait_for("five poll cycles", lambda: d.get("/api/v1/health")["poller"]["cycles"] >= 5,
                   120)
        yield d
    finally:
        d.stop()
        d.kill()


def cycles_after(demo: DemoProcess, after: int, count: int, timeout: float) -> list[dict[str, Any]]:
    """The next ``count`` cycles' figures after cycle number ``after``."""
    seen: dict[int, dict[str, Any]] = {}
    deadline = time.monotonic() + timeout
    while len(seen) < count and time.monotonic() < deadline:
        p = demo.get("/api/v1/health")["poller"]
        if p["cycles"] > after:
            seen.setdefault(p["cycles"], p)
        time.sleep(0.3)
    assert len(seen) >= count, f"only {len(seen)} cycles seen"
    return list(seen.values())


async def subscribe(port: int, read: bool, frames: list[int], idx: int,
                    token: str = "") -> asyncio.StreamWriter:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"GET /api/v1/stream HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                 + f"Authorization: {token}\r\n\r\n".encode())
    await writer.drain()
    if read:
        async def consume() -> None:
            while data := await reader.read(65536):
                frames[idx] += data.count(b"event: cycle\n")
        asyncio.get_running_loop().create_task(consume())
    return writer


async def with_subscribers(demo: DemoProcess) -> dict[str, Any]:
    frames = [0] * SUBSCRIBERS
    token = demo.headers()["Authorization"]  # the stream needs a token too
    writers = []
    for start in range(0, SUBSCRIBERS, 100):  # the listen backlog is 128
        writers += await asyncio.gather(*(subscribe(demo.port, i % 2 == 0, frames, i, token)
                                          for i in range(start, start + 100)))
        await asyncio.sleep(0.1)
    loop = asyncio.get_running_loop()
    status = await loop.run_in_executor(None, demo.get, "/api/v1/stream/status")
    first = (await loop.run_in_executor(None, demo.get, "/api/v1/health"))["poller"]["cycles"]
    await loop.run_in_executor(None, cycles_after, demo, first, 1, 30)  # all connected
    rss_start = api_rss(demo)
    during = await loop.run_in_executor(None, cycles_after, demo, first + 1, 4, 60)
    rss_end = api_rss(demo)
    # the health answer can be ahead of the last cycles' frames still on their way to 500
    # readers (a loaded machine): give delivery a moment before counting
    settle, cycles_seen = time.monotonic() + 10, 1 + len(during)  # every reader's due
    while min(frames[0::2]) < cycles_seen and time.monotonic() < settle:
        await asyncio.sleep(0.2)
    out = {"status": status, "cycles": during, "rss_start": rss_start, "rss_end": rss_end,
           "frames": list(frames),
           "final_status": await loop.run_in_executor(None, demo.get, "/api/v1/stream/status")}
    for w in writers:
        w.close()
    return out


def test_a_thousand_subscribers_leave_polling_alone(demo: DemoProcess) -> None:
    now = demo.get("/api/v1/health")["poller"]["cycles"]
    idle = cycles_after(demo, now, 3, 60)
    rss_idle = api_rss(demo)
    front = bool(fronts_of(demo.proc.pid))
    got = asyncio.run(with_subscribers(demo))

    assert got["status"]["stream_subscribers"] == SUBSCRIBERS
    # every reader got an event for each cycle it was connected through
    readers = got["frames"][0::2]
    assert min(readers) >= 4, sorted(readers)[:10]

    def per_device(cs: list[dict[str, Any]]) -> float:
        return statistics.median(c["last_cycle_cpu_s"] / (c["devices_ok"] + c["devices_failed"])
                                 for c in cs)

    idle_cpu, busy_cpu = per_device(idle), per_device(got["cycles"])
    # the period holds and the CPU per device stays within 25 % of idle through the front; in
    # the service alone within 60 %: the same process then also writes every cycle's frames to
    # 500 sockets (+48 % in one run here, under 25 % in others; the front takes that cost away)
    assert all(c["last_cycle_s"] < INTERVAL for c in got["cycles"]), got["cycles"]
    assert all(c["devices_failed"] == 0 for c in got["cycles"])
    assert busy_cpu <= idle_cpu * (1.25 if front else 1.6) + 0.0002, (idle_cpu, busy_cpu)
    # memory: within the stated bound per subscriber, and flat while the cycles go on
    grown = got["rss_end"] - rss_idle
    bound = STREAM_BYTES_PER_SUBSCRIBER + (FRONT_BYTES_PER_SUBSCRIBER if front else 0)
    assert grown < SUBSCRIBERS * bound, grown
    assert got["rss_end"] - got["rss_start"] < DRIFT_BYTES, (got["rss_start"], got["rss_end"])
    print(f"idle CPU/device {idle_cpu * 1e3:.2f} ms, with {SUBSCRIBERS} subscribers "
          f"{busy_cpu * 1e3:.2f} ms; RSS +{grown / 2**20:.1f} MiB "
          f"({grown / SUBSCRIBERS / 1024:.1f} KiB per subscriber), drift "
          f"{(got['rss_end'] - got['rss_start']) / 2**20:.1f} MiB over 4 cycles; "
          f"hub {got['final_status']}")


def test_stop_is_prompt_with_a_subscriber_still_reading(demo: DemoProcess) -> None:
    """A wall screen's open stream must not keep the service from stopping (it used to hang
    in uvicorn's graceful shutdown until the client went away). Runs last: it stops the demo."""
    def read() -> None:
        try:
            with httpx.stream("GET", demo.base + "/api/v1/stream", timeout=None,
                              headers=demo.headers()) as resp:
                for _ in resp.iter_bytes():
                    pass
        except httpx.HTTPError:
            pass  # the server closed the stream: what we want

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    demo.wait_for("a subscriber",
                  lambda: demo.get("/api/v1/stream/status")["stream_subscribers"] >= 1, 30)
    t0 = time.monotonic()
    code = demo.stop()
    assert code == 0 and time.monotonic() - t0 < 10, (code, time.monotonic() - t0)
    reader.join(10)
    assert not reader.is_alive()

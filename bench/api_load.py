"""Benchmark: the API under load while the demo polls (issue 14).

Starts ``provnet demo`` (from this checkout, or from ``--server-cwd``, e.g. ``/work/main`` to
measure the code before a change in the same way) or attaches to a running one (``--attach
URL``), then:

1. idle: ``--phase-s`` seconds without API load, the poll cycle's time and CPU (baseline);
2. open-loop load at each ``--rates`` over a mix of list routes (links, devices, communes
   search, incidents, coverage per commune) and single-object routes, and the full link list
   (all links with health) at ``--links-rate``: achieved rate, p50/p99/max latency, errors,
   and the poll cycles that ran wholly inside the phase (time, CPU, CPU per device) against
   the idle baseline;
3. closed-loop maximum per route (``--conns`` connections, ``--closed-s`` seconds each).

The load runs in another process (``bench/loadgen.py``, one asyncio client), never in the
server's. Run from the repo root: ``.venv/bin/python bench/api_load.py``.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

import loadgen  # noqa: E402
from common import proc_cpu_s  # noqa: E402

from tests.support.helpers import free_port  # noqa: E402


def pct(xs: list[float], p: float) -> float:
    if not xs:
        return float("nan")
    s = sorted(xs)
    return s[min(len(s) - 1, int(p / 100 * len(s)))]


class Demo:
    """A ``provnet demo`` child process (its own process group), stopped by PID."""

    def __init__(self, cwd: Path, python: str, interval: float, workers: int,
                 loop_watch: bool = False, front: bool = False, front_nice: int = 0) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.tmp = Path(tempfile.mkdtemp(prefix="api-load-"))
        cfg = self.tmp / "provnet.yaml"
        api = f"api: {{front: true, front_nice: {front_nice}}}\n" if front else ""
        cfg.write_text(f"poller: {{workers: {workers}}}\n{api}", encoding="utf-8")
        self.log = (self.tmp / "demo.log").open("wb")
        self.loop_out = self.tmp / "loopwatch.txt" if loop_watch else None
        env = dict(os.environ)
        launcher = ["-m", "provnet.cli"]
        if self.loop_out is not None:  # the loop instrumented (bench/loopwatch.py)
            launcher = [str(ROOT / "bench" / "loopwatch.py")]
            env["LOOPWATCH_OUT"] = str(self.loop_out)
        self.proc = subprocess.Popen(
            [python, *launcher, "demo", "--port", str(self.port), "--state-dir",
             str(self.tmp / "state"), "--interval", str(interval), "--config", str(cfg)],
            cwd=cwd, stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True, env=env)

    def loop_report(self) -> str:
        """The event loop's figures since the last call (``--loop-watch``), else ''."""
        if self.loop_out is None or self.proc.poll() is not None:
            return ""
        self.loop_out.unlink(missing_ok=True)
        self.proc.send_signal(signal.SIGUSR1)
        for _ in range(50):
            time.sleep(0.1)
            if self.loop_out.exists() and "callbacks over" in self.loop_out.read_text("utf-8"):
                time.sleep(0.2)
                break
        text = self.loop_out.read_text("utf-8") if self.loop_out.exists() else "(no report)"
        return "".join("  | " + line + "\n" for line in text.splitlines())

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log.close()
        shutil.rmtree(self.tmp, ignore_errors=True)


class CycleWatch(threading.Thread):
    """Reads ``/api/v1/health`` every 0.5 s and keeps each poll cycle's figures once."""

    def __init__(self, base: str) -> None:
        super().__init__(daemon=True)
        self.base = base
        self.cycles: dict[int, dict[str, Any]] = {}
        self.halt = threading.Event()

    def run(self) -> None:
        with httpx.Client(timeout=5, headers=auth()) as c:
            while not self.halt.is_set():
                try:
                    p = c.get(self.base + "/api/v1/health").json()["poller"]
                except (httpx.HTTPError, ValueError, KeyError):
                    p = None
                if p and p.get("cycles") and p.get("last_cycle_started"):
                    self.cycles.setdefault(p["cycles"], p)
                self.halt.wait(0.5)

    def within(self, t0: float, t1: float) -> list[dict[str, Any]]:
        """Cycles that started after ``t0`` and ended before ``t1`` (wall clock)."""
        return [p for p in self.cycles.values()
                if p["last_cycle_started"] >= t0
                and p["last_cycle_started"] + p["last_cycle_s"] <= t1]


def auth() -> dict[str, str]:
    """The demo's admin token, once ``use_demo_token`` found it (servers before issue 13
    have none and need none)."""
    token = os.environ.get("PROVNET_TOKEN")
    return {"Authorization": f"Bearer {token}"} if token else {}


def use_demo_token(state: Path | None) -> None:
    """Every request of this process and its load workers (environment) sends the token."""
    path = state / "demo-token" if state else None
    if path and path.is_file():
        os.environ["PROVNET_TOKEN"] = path.read_text().strip()


def wait_ready(base: str, timeout_s: float, proc: subprocess.Popen[bytes] | None,
               state: Path | None = None) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise SystemExit("the demo exited early")
        use_demo_token(state)
        try:
            p = httpx.get(base + "/api/v1/health", headers=auth(), timeout=5).json()["poller"]
            if (p.get("cycles") or 0) >= 2:
                return
        except (httpx.HTTPError, ValueError, KeyError):
            pass
        time.sleep(1)
    raise SystemExit("the demo did not complete two poll cycles in time")


def route_mix(base: str) -> tuple[list[str], dict[str, str]]:
    """Paths of the mixed load (lists and single objects), one representative per route."""
    with httpx.Client(base_url=base, timeout=120, headers=auth()) as c:
        links = c.get("/api/v1/links", params={"limit": 1000}).json()["items"]
        devices = c.get("/api/v1/devices", params={"limit": 1000}).json()["items"]
        communes = c.get("/api/v1/communes", params={"limit": 200}).json()["items"]
        code = communes[0]["code"]
        c.get(f"/api/v1/communes/{code}/coverage")  # computes coverage once, if it is lazy
    names = ["tri ton", "long xuyen", "chau doc", "an phu", "tan chau"]
    singles = [f"/api/v1/links/{lk['id']}/health" for lk in links[:40]]
    singles += [f"/api/v1/reachability/{d['id']}" for d in devices[:20]]
    lists = ["/api/v1/links?limit=50", "/api/v1/links?limit=50&status=up",
             "/api/v1/devices?limit=50", "/api/v1/devices?limit=50&role=commune",
             *(f"/api/v1/communes?q={n.replace(' ', '%20')}" for n in names),
             "/api/v1/alerts/incidents", "/api/v1/alerts/incidents?status=open",
             *(f"/api/v1/communes/{c['code']}/coverage" for c in communes[:10])]
    mix: list[str] = []
    for i in range(max(len(singles), len(lists))):  # half lists, half single objects
        mix += [lists[i % len(lists)], singles[i % len(singles)]]
    per_route = {"links?limit=50": lists[0], "links full (limit=1000)": "/api/v1/links?limit=1000",
                 "devices?limit=50": lists[2], "communes?q=": lists[4],
                 "alerts/incidents": lists[9], "communes/{code}/coverage": lists[11],
                 "links/{id}/health": singles[0], "reachability/{id}": singles[40]
                 if len(singles) > 40 else singles[-1], "health": "/api/v1/health"}
    return mix, per_route


def _run_open(args: tuple[str, int, list[str], float, float]) -> loadgen.Result:
    return loadgen.open_loop(*args)


def _run_closed(args: tuple[str, int, str, int, float]) -> loadgen.Result:
    return loadgen.closed_loop(*args)


def cpu_of(pid: int | None) -> float:
    return proc_cpu_s(pid) if pid else float("nan")


def front_of(pid: int | None) -> int | None:
    """The API front's PID (``--front``): the service's child running ``provnet.front``."""
    if not pid:
        return None
    for entry in Path("/proc").iterdir():
        try:
            if (entry.name.isdigit() and b"provnet.front" in (entry / "cmdline").read_bytes()
                    and int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid):
                return int(entry.name)
        except OSError:
            continue
    return None


def report_cycles(name: str, cycles: list[dict[str, Any]], idle: dict[str, float] | None
                  ) -> dict[str, float] | None:
    if not cycles:
        print(f"  {name}: no poll cycle ran wholly inside the phase (make --phase-s longer)")
        return None
    dur = statistics.mean(c["last_cycle_s"] for c in cycles)
    cpu = statistics.mean(c["last_cycle_cpu_s"] for c in cycles)
    per = statistics.mean(c["last_cycle_cpu_s"] / max(1, c["devices_ok"] + c["devices_failed"])
                          for c in cycles)
    ok = sum(c["devices_ok"] for c in cycles)
    tot = sum(c["devices_ok"] + c["devices_failed"] for c in cycles)
    line = (f"  poll cycle ({len(cycles)} cycles): {dur:.2f} s, CPU {cpu:.2f} s, "
            f"{per * 1000:.2f} ms CPU/device, {ok}/{tot} ok")
    if idle:
        line += f"  -> CPU/device x{per / idle['per']:.2f} of idle"
    print(line)
    return {"dur": dur, "cpu": cpu, "per": per}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--attach", help="base URL of a running provnet (no demo started)")
    ap.add_argument("--server-cwd", type=Path, default=ROOT,
                    help="checkout to run the demo from (default: this one)")
    ap.add_argument("--python", default=sys.executable)
    ap.add_argument("--workers", type=int, default=1, help="poller.workers of the demo")
    ap.add_argument("--front", action="store_true",
                    help="api.front: the API answered by a process of its own (api/front.py)")
    ap.add_argument("--front-nice", type=int, default=0, help="api.front_nice with --front")
    ap.add_argument("--interval", type=float, default=10.0, help="poll interval of the demo")
    ap.add_argument("--rates", default="100,500", help="mixed open-loop rates, requests/s")
    ap.add_argument("--links-rate", type=float, default=200.0,
                    help="rate of the full link list phase (0: skip)")
    ap.add_argument("--phase-s", type=float, default=21.0)
    ap.add_argument("--closed-s", type=float, default=3.0)
    ap.add_argument("--conns", type=int, default=10)
    ap.add_argument("--loop-watch", action="store_true",
                    help="run the demo under bench/loopwatch.py: its event loop's lag and slow "
                         "callbacks after each phase")
    args = ap.parse_args()

    demo = None
    pid = None
    if args.attach:
        base = args.attach.rstrip("/")
    else:
        demo = Demo(args.server_cwd, args.python, args.interval, args.workers, args.loop_watch,
                    args.front, args.front_nice)
        base, pid = demo.base, demo.proc.pid
        print(f"demo from {args.server_cwd} on {base} (poller.workers={args.workers}, "
              f"api.front={args.front} nice {args.front_nice}, "
              f"interval {args.interval:g} s)")
    u = urlsplit(base)
    host, port = u.hostname or "127.0.0.1", u.port or 80
    watch = CycleWatch(base)
    ctx = mp.get_context("spawn")
    try:
        wait_ready(base, 300, demo.proc if demo else None, demo.tmp / "state" if demo else None)
        mix, per_route = route_mix(base)
        watch.start()
        if demo is not None:
            demo.loop_report()  # start counting from here
        print(f"mix: {len(mix)} paths, half lists, half single objects")
        t0, c0 = time.time(), cpu_of(pid)
        time.sleep(args.phase_s)
        print(f"idle {args.phase_s:g} s: server process CPU "
              f"{(cpu_of(pid) - c0) / args.phase_s * 100:.0f} %")
        idle = report_cycles("idle", watch.within(t0, time.time()), None)
        if demo is not None:
            print(demo.loop_report(), end="")
        phases: list[tuple[str, list[str], float]] = [
            (f"mixed {float(r):g}/s", mix, float(r)) for r in args.rates.split(",") if r]
        if args.links_rate:
            phases.append((f"full link list {args.links_rate:g}/s",
                           ["/api/v1/links?limit=1000"], args.links_rate))
        with ctx.Pool(1) as pool:
            for name, paths, rate in phases:
                fpid = front_of(pid)
                t0, c0, f0 = time.time(), cpu_of(pid), cpu_of(fpid)
                res = pool.apply(_run_open, ((host, port, paths, rate, args.phase_s),))
                t1 = time.time()
                lat = res.latencies
                errors = sum(res.errors.values())
                print(f"{name}: achieved {len(lat) / res.elapsed_s:.0f}/s over "
                      f"{res.elapsed_s:.1f} s, p50 {pct(lat, 50) * 1000:.1f} ms, "
                      f"p99 {pct(lat, 99) * 1000:.1f} ms, max {max(lat, default=0) * 1000:.0f} ms,"
                      f" errors {errors} {res.errors or ''}, client send lag p99 "
                      f"{pct(res.send_lag, 99) * 1000:.1f} ms, "
                      f"{res.bytes / max(1, len(lat)) / 1024:.1f} KiB/answer, server CPU "
                      f"{(cpu_of(pid) - c0) / (t1 - t0) * 100:.0f} %"
                      + (f", front CPU {(cpu_of(fpid) - f0) / (t1 - t0) * 100:.0f} %"
                         if fpid else ""))
                report_cycles(name, watch.within(t0, t1), idle)
                if demo is not None:
                    print(demo.loop_report(), end="")
            print(f"closed loop, {args.conns} connections, {args.closed_s:g} s per route:")
            for label, path in per_route.items():
                res = pool.apply(_run_closed, ((host, port, path, args.conns, args.closed_s),))
                lat = res.latencies
                print(f"  {label:28s} {len(lat) / res.elapsed_s:7.0f}/s  p50 "
                      f"{pct(lat, 50) * 1000:6.1f} ms  p99 {pct(lat, 99) * 1000:7.1f} ms  "
                      f"errors {sum(res.errors.values())}")
        h = httpx.get(base + "/api/v1/health", headers=auth(), timeout=10).json()["poller"]
        for where, prefix in (("service", "cache_"), ("front", "front_cache_")):
            figures = {k[len(prefix):]: v for k, v in h.items() if k.startswith(prefix)}
            if figures:
                print(f"answer cache ({where}):",
                      ", ".join(f"{k} {v}" for k, v in figures.items()))
    finally:
        watch.halt.set()
        if demo is not None:
            demo.stop()


if __name__ == "__main__":
    main()

"""Run ``provnet.cli`` with the event loop instrumented: where do the loop's stalls come from?

``python bench/loopwatch.py demo --port ...`` (the CLI's arguments, run in the checkout to
measure) runs the CLI unchanged but times every callback the asyncio loop runs and every turn
of the loop, and a ticker measures how late a 10 ms sleep wakes (the lag a request would see).
On ``SIGUSR1`` and at exit it appends a summary to ``$LOOPWATCH_OUT`` (default stderr) and
starts counting afresh: the lag percentiles, the callbacks that took longer than
``$LOOPWATCH_MS`` (default 20) by origin, and the turns of the loop whose callbacks together
took that long. A long lag without a long callback is time the loop waited for the GIL (threads)
or for a core (the machine), not code on the loop. ``bench/api_load.py --loop-watch`` uses it.
"""

from __future__ import annotations

import asyncio
import asyncio.base_events
import asyncio.events
import atexit
import collections
import gc
import os
import runpy
import signal
import sys
import threading
import time
from typing import Any

THRESH = float(os.environ.get("LOOPWATCH_MS", "20")) / 1000
slow_n: collections.Counter[str] = collections.Counter()
slow_s: dict[str, float] = collections.defaultdict(float)
slow_max: dict[str, float] = collections.defaultdict(float)
slow_cpu: dict[str, float] = collections.defaultdict(float)  # the loop thread's CPU in them
lags: list[float] = []
busy_turns: list[tuple[float, int]] = []
_ticker_started = False
running = [0.0]  # when the callback now on the loop started (0: none)
stalled: collections.Counter[str] = collections.Counter()  # stacks seen inside long callbacks
MAIN = threading.main_thread().ident


def _sampler() -> None:
    """Every 5 ms: inside a callback running for over the threshold, where is the loop?"""
    while True:
        time.sleep(0.005)
        t = running[0]
        if not t or time.perf_counter() - t < THRESH:
            continue
        frame = sys._current_frames().get(MAIN or 0)
        where = []
        while frame is not None and len(where) < 40:
            code = frame.f_code
            if "provnet" in code.co_filename or "/api/" in code.co_filename or not where:
                where.append(f"{code.co_qualname}:{frame.f_lineno}")
            frame = frame.f_back
        stalled[" < ".join(where[:6])] += 1


threading.Thread(target=_sampler, daemon=True, name="loopwatch").start()


def describe(handle: asyncio.events.Handle) -> str:
    cb: Any = handle._callback
    owner = getattr(cb, "__self__", None)
    if isinstance(owner, asyncio.Task):
        coro: Any = owner.get_coro()
        name = f"task {getattr(coro, '__qualname__', repr(coro))}"
        frame = getattr(coro, "cr_frame", None)
        me = frame.f_locals.get("self") if frame is not None else None
        scope = getattr(me, "scope", None)
        if isinstance(scope, dict):  # a request: which one
            name += f" {scope.get('method')} {scope.get('path')}"
        return name
    return getattr(cb, "__qualname__", None) or repr(cb)[:100]


_orig_run = asyncio.events.Handle._run


def _run(self: asyncio.events.Handle) -> None:
    global _ticker_started
    if not _ticker_started:
        _ticker_started = True
        asyncio.get_event_loop().create_task(_ticker())
    t0, c0 = time.perf_counter(), time.thread_time()
    running[0] = t0
    try:
        _orig_run(self)
    finally:
        running[0] = 0.0
        dt = time.perf_counter() - t0
        if dt > THRESH:
            key = describe(self)
            slow_n[key] += 1
            slow_s[key] += dt
            slow_cpu[key] += time.thread_time() - c0
            slow_max[key] = max(slow_max[key], dt)


asyncio.events.Handle._run = _run  # type: ignore[method-assign]

_orig_once = asyncio.base_events.BaseEventLoop._run_once


def _run_once(self: asyncio.base_events.BaseEventLoop) -> None:
    sel = self._selector  # type: ignore[attr-defined]
    orig_select = sel.select
    spent = [0.0]

    def select(timeout: float | None = None) -> Any:
        t = time.perf_counter()
        try:
            return orig_select(timeout)
        finally:
            spent[0] += time.perf_counter() - t

    sel.select = select
    n = len(self._ready)  # type: ignore[attr-defined]
    t0 = time.perf_counter()
    try:
        _orig_once(self)
    finally:
        del sel.select
        busy = time.perf_counter() - t0 - spent[0]
        if busy > THRESH:
            busy_turns.append((busy, n))


asyncio.base_events.BaseEventLoop._run_once = _run_once  # type: ignore[method-assign]


async def _ticker() -> None:
    while True:
        t = time.perf_counter()
        await asyncio.sleep(0.01)
        lags.append(time.perf_counter() - t - 0.01)


marks: dict[str, float] = {}
gc_pauses: dict[int, list[float]] = collections.defaultdict(list)
_gc_start = [0.0]


def _gc_cb(phase: str, info: dict[str, int]) -> None:
    if phase == "start":
        _gc_start[0] = time.perf_counter()
    else:
        gc_pauses[info["generation"]].append(time.perf_counter() - _gc_start[0])


gc.callbacks.append(_gc_cb)


def run_delay_s() -> float:
    """Time the main thread spent runnable but waiting for a core (Linux schedstat)."""
    try:
        with open(f"/proc/self/task/{threading.main_thread().native_id}/schedstat") as f:
            return int(f.read().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return float("nan")


def report() -> None:
    out = sys.stderr
    path = os.environ.get("LOOPWATCH_OUT")
    if path:
        out = open(path, "a", encoding="utf-8")  # noqa: SIM115
    s = sorted(lags)

    def pct(p: float) -> float:
        return s[min(len(s) - 1, int(p / 100 * len(s)))] * 1000 if s else float("nan")

    print(f"loop lag over {len(s)} ticks: p50 {pct(50):.1f} ms, p99 {pct(99):.1f} ms, "
          f"p99.9 {pct(99.9):.1f} ms, max {pct(100):.1f} ms; "
          f"ticks later than {THRESH * 1000:.0f} ms: {sum(x > THRESH for x in s)}", file=out)
    print(f"turns of the loop busy over {THRESH * 1000:.0f} ms: {len(busy_turns)}, "
          f"longest {max((b for b, _ in busy_turns), default=0) * 1000:.0f} ms", file=out)
    delay, since = run_delay_s(), marks.get("delay", 0.0)
    marks["delay"] = delay
    print(f"the loop thread waited for a core (schedstat run delay) {delay - since:.2f} s",
          file=out)
    for gen, ps in sorted(gc_pauses.items()):
        print(f"garbage collections of generation {gen}: {len(ps)}, {sum(ps):.2f} s in all, "
              f"longest {max(ps) * 1000:.0f} ms", file=out)
    print(f"callbacks over {THRESH * 1000:.0f} ms (count, total s, of it on CPU s, max ms, "
          "origin):", file=out)
    for key, n in slow_n.most_common(15):
        print(f"  {n:5d} {slow_s[key]:7.2f} {slow_cpu[key]:7.2f} {slow_max[key] * 1000:7.0f}  "
              f"{key}", file=out)
    print("where the loop was inside them (5 ms samples, innermost first):", file=out)
    for where, n in stalled.most_common(8):
        print(f"  {n:5d}  {where}", file=out)
    out.flush()
    if out is not sys.stderr:
        out.close()
    for kept in (lags, busy_turns, slow_n, slow_s, slow_max, slow_cpu, stalled, gc_pauses):
        kept.clear()


atexit.register(report)
signal.signal(signal.SIGUSR1, lambda *_: report())

if __name__ == "__main__":
    sys.path.insert(0, os.getcwd())  # the checkout being measured (``--server-cwd``)
    sys.argv = ["provnet.cli", *sys.argv[1:]]
    runpy.run_module("provnet.cli", run_name="__main__", alter_sys=True)

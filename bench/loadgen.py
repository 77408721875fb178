"""An HTTP/1.1 load generator for ``bench/api_load.py``, run in its own process.

Open loop: request ``i`` is due at ``t0 + i / rate`` whatever happened to the earlier ones,
and its latency is counted from that due time (a server that falls behind pays for the
queue, no coordinated omission). Keep-alive connections from a pool, a new one when none is
idle (up to ``max_conns``; beyond, the request waits, and that wait is latency too).
Closed loop: ``conns`` connections each send the next request as soon as the answer is in.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

TIMEOUT_S = 10.0


@dataclass
class Result:
    """Latencies (seconds) of answered requests, errors by kind, wall time of the run."""

    latencies: list[float] = field(default_factory=list)
    #: how late the client itself sent each request (its own process starved): not the server's
    send_lag: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    bytes: int = 0
    elapsed_s: float = 0.0
    sent: int = 0

    def error(self, kind: str) -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1


class Conn:
    """One keep-alive connection."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, host: str, port: int) -> Conn:
        r, w = await asyncio.open_connection(host, port)
        return cls(r, w)

    async def get(self, host: str, path: str) -> tuple[int, int]:
        """Status and body length of one GET."""
        token = os.environ.get("PROVNET_TOKEN")  # the demo's token (issue 13), if it has one
        auth = f"Authorization: Bearer {token}\r\n" if token else ""
        self.writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\n{auth}\r\n".encode())
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        status = int(lines[0].split()[1])
        length = 0
        for line in lines[1:]:
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
        if length:
            await self.reader.readexactly(length)
        return status, length

    def close(self) -> None:
        self.writer.close()


async def _open_loop(host: str, port: int, paths: Sequence[str], rate: float,
                     duration_s: float, max_conns: int) -> Result:
    res = Result()
    idle: list[Conn] = []
    opened = 0
    slots = asyncio.Semaphore(max_conns)

    async def one(path: str, due: float) -> None:
        nonlocal opened
        async with slots:
            res.send_lag.append(time.perf_counter() - due)
            conn = idle.pop() if idle else None
            try:
                if conn is not None:
                    try:
                        status, n = await asyncio.wait_for(conn.get(host, path), TIMEOUT_S)
                    except (ConnectionError, asyncio.IncompleteReadError):
                        # the server closed an idle keep-alive connection (uvicorn: after
                        # 5 s); like any HTTP client, retry a GET once on a new connection
                        conn.close()
                        conn = None
                if conn is None:
                    conn = await asyncio.wait_for(Conn.open(host, port), TIMEOUT_S)
                    opened += 1
                    status, n = await asyncio.wait_for(conn.get(host, path), TIMEOUT_S)
            except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError,
                    TimeoutError, ValueError, IndexError) as exc:
                res.error(type(exc).__name__)
                if conn is not None:
                    conn.close()
                return
            res.latencies.append(time.perf_counter() - due)
            res.bytes += n
            if status >= 400:
                res.error(f"http_{status}")
            idle.append(conn)

    t0 = time.perf_counter()
    total = int(rate * duration_s)
    tasks = []
    for i in range(total):
        due = t0 + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(paths[i % len(paths)], due)))
    res.sent = total
    await asyncio.gather(*tasks)
    res.elapsed_s = time.perf_counter() - t0
    for c in idle:
        c.close()
    return res


async def _closed_loop(host: str, port: int, path: str, conns: int,
                       duration_s: float) -> Result:
    res = Result()
    end = time.perf_counter() + duration_s

    async def worker() -> None:
        try:
            conn = await Conn.open(host, port)
        except OSError as exc:
            res.error(type(exc).__name__)
            return
        while time.perf_counter() < end:
            t = time.perf_counter()
            try:
                status, n = await asyncio.wait_for(conn.get(host, path), TIMEOUT_S)
            except (OSError, asyncio.IncompleteReadError, TimeoutError, ValueError) as exc:
                res.error(type(exc).__name__)
                conn.close()
                return
            res.latencies.append(time.perf_counter() - t)
            res.sent += 1
            res.bytes += n
            if status >= 400:
                res.error(f"http_{status}")
        conn.close()

    t0 = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(conns)))
    res.elapsed_s = time.perf_counter() - t0
    return res


def open_loop(host: str, port: int, paths: Sequence[str], rate: float, duration_s: float,
              max_conns: int = 256) -> Result:
    """Drive ``rate`` requests/s over ``paths`` (round robin) for ``duration_s``."""
    return asyncio.run(_open_loop(host, port, paths, rate, duration_s, max_conns))


def closed_loop(host: str, port: int, path: str, conns: int, duration_s: float) -> Result:
    """As fast as ``conns`` connections go, on one path."""
    return asyncio.run(_closed_loop(host, port, path, conns, duration_s))

"""A large JSON body against the API: refused by the guard before it is read, versus parsed.

Serves the alerts routes (SQLite, demo seed) with uvicorn on loopback twice: with the default
``api.max_body_bytes`` (1 MiB) and, as the baseline (what main did), with a limit larger than
the body. POSTs a ``--mb`` MB JSON silence and prints the time to the answer and the status.

    PYTHONPATH=. python bench/body_limit.py --mb 50
"""

from __future__ import annotations

import argparse
import json
import socket
import tempfile
import threading
import time
from pathlib import Path

import uvicorn

from provnet.api.alerts import alerts_router
from provnet.api.app import create_app
from provnet.api.context import ApiContext
from provnet.config.settings import ApiSettings
from provnet.inventory.store import open_store
from provnet.pollers.live import LiveState


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _post(port: int, body: bytes) -> tuple[int, float]:
    head = (f"POST /api/v1/alerts/silences HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
            "Connection: close\r\n\r\n").encode()
    t0 = time.perf_counter()
    with socket.create_connection(("127.0.0.1", port), timeout=600) as sock:
        sock.sendall(head)
        sock.setblocking(False)
        sent, answer = 0, b""
        while sent < len(body):
            try:
                answer += sock.recv(65536)
                break  # answered before the body was sent
            except BlockingIOError:
                pass
            try:
                sent += sock.send(body[sent: sent + (1 << 20)])
            except BlockingIOError:
                time.sleep(0.001)
        sock.setblocking(True)
        while b"\r\n" not in answer:
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
    return int(answer.split(b" ", 2)[1]), time.perf_counter() - t0


def run(limit: int, body: bytes, store_dir: Path) -> tuple[int, float]:
    store = open_store(f"sqlite:///{store_dir / 'inv.sqlite'}")
    port = _free_port()
    app = create_app(ApiContext(store=store, live=LiveState()), [alerts_router(store)],
                     ApiSettings(host="127.0.0.1", port=port, max_body_bytes=limit))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    try:
        return _post(port, body)
    finally:
        server.should_exit = True
        thread.join(10)
        store.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--mb", type=float, default=50.0, help="body size, MB")
    args = ap.parse_args()
    # one long comment: a schema-valid silence apart from the size
    body = json.dumps({"created_by": "ops", "rule": "link_down", "duration_s": 60,
                       "comment": "x" * int(args.mb * 1_000_000)}).encode()
    with tempfile.TemporaryDirectory() as d:
        limited = run(ApiSettings().max_body_bytes, body, Path(d))
        baseline = run(len(body) + 1, body, Path(d))
    print(f"body {len(body) / 1e6:.1f} MB")
    print(f"  guard (max_body_bytes 1 MiB): HTTP {limited[0]} in {limited[1]:.3f} s")
    print(f"  baseline (no limit, parsed):   HTTP {baseline[0]} in {baseline[1]:.3f} s")
    print(f"  {baseline[1] / limited[1]:.0f}x faster to refuse than to parse")


if __name__ == "__main__":
    main()

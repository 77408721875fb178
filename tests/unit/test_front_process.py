"""The service's handle on its API front (provnet/front.py ``FrontProcess``): a front that
dies, or closes its control socket and runs on, is replaced; the service never fails for it.

Real child processes over a real socket pair; the child stands in for ``provnet.front``."""

from __future__ import annotations

import asyncio
import socket
import sys
from pathlib import Path

import pytest

from provnet.config.settings import Settings
from provnet.front import FrontProcess

#: reads the set-up line, then: ``exit`` ends, ``close`` closes its end and sleeps on
CHILD = """
import os, sys, time
fd = int(sys.argv[sys.argv.index("--control-fd") + 1])
f = os.fdopen(fd, "rb", buffering=0)
line = b""
while not line.endswith(b"\\n"):
    line += f.read(1)
print(os.getpid(), flush=True)
mode = os.environ["MODE"]
if mode == "exit":
    sys.exit(3)
f.close()
time.sleep(60)
"""


async def _run_until(front: FrontProcess, starts: int, timeout_s: float) -> None:
    stop = asyncio.Event()
    task = asyncio.create_task(front.run(lambda: (1, 1), stop))
    try:
        deadline = asyncio.get_running_loop().time() + timeout_s
        while front.starts < starts and asyncio.get_running_loop().time() < deadline:
            assert not task.done(), task.exception()
            await asyncio.sleep(0.05)
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)  # run() itself never fails


@pytest.mark.parametrize("mode", ["exit", "close"])
def test_a_front_gone_or_deaf_is_started_again(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mode: str) -> None:
    monkeypatch.setenv("MODE", mode)
    listen = socket.socket()
    listen.bind(("127.0.0.1", 0))
    front = FrontProcess(listen, tmp_path / "api.sock", Settings(state_dir=tmp_path),
                         command=(sys.executable, "-c", CHILD))
    try:
        asyncio.run(_run_until(front, 3, 20))
        assert front.starts >= 3
    finally:
        front.stop()
        listen.close()
    # the last front is stopped with the service (those before were reaped by run())
    assert front.proc is not None and front.proc.poll() is not None

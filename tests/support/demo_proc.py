"""One ``provnet demo`` child process for end-to-end tests: start, query its API, wait, stop."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.helpers import free_port, stop_process


class DemoProcess:
    """``python -m provnet.cli demo`` on a free port, state in ``state``, output in ``log``."""

    def __init__(self, state: Path, log: Path, args: Sequence[str],
                 faults: Sequence[str] = ()) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.state, self.log = state, log
        cmd = [sys.executable, "-m", "provnet.cli", "demo", "--port", str(self.port),
               "--state-dir", str(state), *args]
        for f in faults:
            cmd += ["--fault", f]
        with log.open("wb") as out:
            self.proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, start_new_session=True)

    def headers(self, role: str = "admin") -> dict[str, str]:
        """``Authorization: Bearer`` with the token the demo made for ``role`` (admin or
        operator), read from ``<state>/demo-tokens.json``; empty until the demo wrote it."""
        try:
            made = json.loads((self.state / "demo-tokens.json").read_text())
        except (OSError, ValueError):
            return {}
        return {"Authorization": f"Bearer {made[role]['token']}"}

    def get(self, path: str, **params: Any) -> Any:
        """GET ``path`` of the API as the demo's admin; the JSON body (an HTTP error raises)."""
        r = httpx.get(self.base + path, params=params, headers=self.headers(), timeout=10)
        r.raise_for_status()
        return r.json()

    def wait_for(self, what: str, check: Callable[[], Any], timeout: float) -> Any:
        """Poll ``check`` until it returns something truthy; fail on timeout or early exit."""
        return wait_until(what, check, timeout, self.proc, self.log)

    def stop(self) -> int:
        """SIGTERM first (a clean stop); the exit code."""
        stop_process(self.proc, timeout_s=20)
        return self.proc.returncode

    def kill(self) -> None:
        """SIGKILL the whole process group if it still runs (cleanup after a failure)."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


def wait_until(what: str, check: Callable[[], Any], timeout: float,
               proc: subprocess.Popen[bytes], log: Path, every_s: float = 0.3) -> Any:
    """Poll ``check`` (HTTP errors count as not yet) until it returns something truthy; fail,
    with the end of ``log``, when ``proc`` exits first or ``timeout`` passes."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"provnet exited early:\n{log.read_text()[-3000:]}")
        try:
            last = check()
        except httpx.HTTPError:
            last = None
        if last:
            return last
        time.sleep(every_s)
    pytest.fail(f"timed out waiting for {what}; last={last!r}\n{log.read_text()[-4000:]}")

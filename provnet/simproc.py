"""Start and stop the simulated network (``python -m provnet.simulator``) as a child process."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from provnet.simulator.portstate import PORT_STATES_FILE


def stop_child(proc: subprocess.Popen[bytes], timeout_s: float = 5.0) -> None:
    """Stop a child we started, by its PID: SIGTERM, then SIGKILL if it lingers."""
    if proc.poll() is not None:
        return
    os.kill(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=timeout_s)


class SimulatorError(RuntimeError):
    """The simulator did not start."""


class SimulatorProcess:
    """The simulator child: plan written to the state dir, output to ``simulator.log``, the
    ports' state published to ``simulator-ports.json`` there (the demo's SSH devices read it,
    see :mod:`provnet.simulator.portstate`)."""

    def __init__(self, state_dir: Path, plan: dict[str, Any], faults: list[str],
                 control_port: int | None = None,
                 trap_to: tuple[str, int] | None = None) -> None:
        self.state_dir = state_dir
        self.plan_path = state_dir / "simulator-plan.json"
        self.log_path = state_dir / "simulator.log"
        self.port_states_path = state_dir / PORT_STATES_FILE
        self.plan = plan
        self.faults = faults
        self.control_port = control_port
        self.trap_to = trap_to
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout_s: float = 60.0) -> None:
        """Spawn the simulator and wait until it says READY."""
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.plan_path.write_text(json.dumps(self.plan, ensure_ascii=False), encoding="utf-8")
        cmd = [sys.executable, "-m", "provnet.simulator", "--plan", str(self.plan_path),
               "--port-states", str(self.port_states_path)]
        for f in self.faults:
            cmd += ["--fault", f]
        if self.control_port:
            cmd += ["--control-port", str(self.control_port)]
        if self.trap_to:
            cmd += ["--trap-to", f"{self.trap_to[0]}:{self.trap_to[1]}"]
        log = self.log_path.open("wb")
        self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True)
        log.close()
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
            if "READY" in text:
                return
            if self.proc.poll() is not None:
                raise SimulatorError(f"simulator exited ({self.proc.returncode}):\n{text[-2000:]}")
            time.sleep(0.1)
        self.stop()
        raise SimulatorError(f"simulator not ready after {timeout_s:.0f} s; see {self.log_path}")

    def stop(self, timeout_s: float = 10.0) -> None:
        """SIGTERM our child (by PID), SIGKILL if it lingers. Idempotent."""
        proc, self.proc = self.proc, None
        if proc is not None:
            stop_child(proc, timeout_s)

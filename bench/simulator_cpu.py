"""CPU cost of the simulator: ``python bench/simulator_cpu.py [--port N]``.

Measures (1) in-process CPU per GETBULK response for a PoP (~76 varbinds) and a commune
router, and (2) over UDP, the CPU of a simulator subprocess answering pre-encoded GETBULKs
(a poller-like request: sysUpTime plus five interface columns) for a province-sized
synthetic plan, 20 requests in flight. Server CPU comes from ``/proc/<pid>/stat`` (Linux).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from provnet.simulator import mib
from provnet.simulator.agent import Responder, count_varbinds, encode_bulk_request
from provnet.simulator.example import synthetic_plan
from provnet.simulator.model import Network
from provnet.simulator.plan import plan_from_dict

COLUMNS: list[mib.Oid] = [
    (*mib.IF_ENTRY, mib.IF_OPER_STATUS), (*mib.IFX_ENTRY, mib.IFX_HC_IN_OCTETS),
    (*mib.IFX_ENTRY, mib.IFX_HC_OUT_OCTETS), (*mib.IF_ENTRY, mib.IF_IN_ERRORS),
    (*mib.IF_ENTRY, mib.IF_OUT_ERRORS)]


def poll_request(n_ifaces: int) -> bytes:
    """GETBULK: sysUpTime as non-repeater, five columns, one row per interface."""
    return encode_bulk_request("public", [mib.SYS_UPTIME[:-1], *COLUMNS], 1, n_ifaces)


def in_process(rounds: int = 300) -> None:
    """CPU per response without sockets."""
    net = Network(plan_from_dict(synthetic_plan()), time.monotonic(), time.time())
    responder = Responder(net)
    for dev_id, label in ((100, "PoP"), (1000, "commune")):
        dev = net.devices[dev_id]
        req = poll_request(len(dev.ifaces))
        cold = time.process_time()
        out = responder.handle(dev, req, time.monotonic())
        cold = time.process_time() - cold
        assert out is not None
        start = time.process_time()
        for _ in range(rounds):
            responder.handle(dev, req, time.monotonic())
        per = (time.process_time() - start) / rounds
        print(f"in-process {label}: {count_varbinds(out)} varbinds, {len(out)} bytes: "
              f"{per * 1e3:.2f} ms CPU/response (first {cold * 1e3:.2f} ms), "
              f"{1 / per:.0f} responses/s per core")


def _proc_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def over_udp(port: int, sweeps: int = 30, window: int = 20) -> None:
    """CPU of a simulator subprocess under replayed GETBULK load."""
    data = synthetic_plan(port=port)
    with tempfile.TemporaryDirectory() as tmp:
        plan_path = Path(tmp) / "plan.json"
        plan_path.write_text(json.dumps(data), encoding="utf-8")
        proc = subprocess.Popen([sys.executable, "-m", "provnet.simulator", "--plan",
                                 str(plan_path), "--log-level", "WARNING"],
                                stdout=subprocess.PIPE, text=True)
        try:
            assert proc.stdout is not None
            line = proc.stdout.readline()
            if not line.startswith("READY"):
                sys.exit(f"simulator did not start: {line!r}")
            targets = [(d["address"], poll_request(len(d["interfaces"])))
                       for d in data["devices"]]
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
                sock.settimeout(2.0)
                for label, rounds in (("one sweep", 1), (f"{sweeps} sweeps", sweeps)):
                    queue = targets * rounds
                    cpu0, wall0 = _proc_cpu(proc.pid), time.monotonic()
                    got = sent = 0
                    while got < len(queue):
                        while sent - got < window and sent < len(queue):
                            sock.sendto(queue[sent][1], (queue[sent][0], port))
                            sent += 1
                        try:
                            sock.recvfrom(65535)
                        except TimeoutError:
                            break
                        got += 1
                    time.sleep(0.05)
                    cpu = _proc_cpu(proc.pid) - cpu0
                    wall = time.monotonic() - wall0
                    print(f"UDP {label} of {len(targets)} devices: {got}/{len(queue)} answered "
                          f"in {wall:.2f} s, server CPU {cpu:.2f} s = "
                          f"{1e3 * cpu / max(got, 1):.2f} ms/response, "
                          f"{got / wall:.0f} responses/s")
        finally:
            proc.terminate()
            proc.wait(timeout=10)


def main() -> None:
    """Run both measurements."""
    parser = argparse.ArgumentParser(prog="python bench/simulator_cpu.py")
    parser.add_argument("--port", type=int, default=16999)
    parser.add_argument("--sweeps", type=int, default=30)
    args = parser.parse_args()
    in_process()
    over_udp(args.port, args.sweeps)


if __name__ == "__main__":
    main()

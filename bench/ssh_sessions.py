"""SSH sessions per second and memory: N concurrent fakenos devices, one command each.

The fakenos devices run in a child process (``provnet.sshsim``), so the figures below are the
collector's alone: wall time, sessions/s, CPU per session, resident memory (baseline, peak
while the sessions run, and the difference per concurrent session).

    .venv/bin/python bench/ssh_sessions.py            # 20 and 100 devices
    .venv/bin/python bench/ssh_sessions.py 20 100 --rounds 2
"""

from __future__ import annotations

import argparse
import logging
import os
import resource
import tempfile
import threading
import time
from pathlib import Path

from provnet.pollers.ssh.collector import SshCollector
from provnet.pollers.ssh.hostkeys import KnownHosts
from provnet.pollers.ssh.platforms import load_platforms
from provnet.pollers.ssh.session import NetmikoRunner
from provnet.pollers.ssh.types import SshLogin, SshTarget
from provnet.sshsim import SimDevice, SshSimulatorProcess
from provnet.tsdb.ports import free_ports

COMMAND = {"huawei_vrp": "display version", "cisco_ios": "show clock"}


def _rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class PeakRss:
    """Samples this process's RSS every 20 ms while running."""

    def __init__(self) -> None:
        self.peak = _rss_mib()
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, _rss_mib())

    def __enter__(self) -> PeakRss:
        self._t.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._t.join()


def _child_cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _cpu_s() -> float:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def run(n: int, rounds: int, tmp: Path) -> None:
    ports = free_ports(["127.0.0.1"] * n)
    devs = [SimDevice(f"bench-{i:03d}", "huawei_vrp" if i % 2 else "cisco_ios", ports[i])
            for i in range(n)]
    with SshSimulatorProcess(devs, tmp / f"sim{n}") as sim:
        assert sim.proc is not None
        pid = sim.proc.pid
        runner = NetmikoRunner(KnownHosts(tmp / f"known_hosts{n}"), "pin_first_use", 20, 30)
        col = SshCollector(runner, load_platforms(), concurrency=n)
        targets = [SshTarget(i, d.name, "127.0.0.1", d.port, d.platform,
                             SshLogin(d.username, d.password)) for i, d in enumerate(devs)]
        try:
            col.run_one(targets[0], commands={"c": COMMAND[targets[0].platform]})  # warm-up
            for r in range(rounds):
                base, cpu0, t0 = _rss_mib(), _cpu_s(), time.perf_counter()
                sim0 = _child_cpu_s(pid)
                with PeakRss() as peak:
                    futs = [col._pool.submit(col.run_one, t, (), {"c": COMMAND[t.platform]})
                            for t in targets]
                    results = [f.result() for f in futs]
                wall, cpu = time.perf_counter() - t0, _cpu_s() - cpu0
                sim_cpu = _child_cpu_s(pid) - sim0
                ok = sum(r.ok for r in results)
                per = sorted(r.duration_s for r in results)
                print(f"{n:>4} devices, {n:>3} concurrent, round {r + 1}: {ok}/{n} ok in "
                      f"{wall:5.2f} s = {n / wall:5.1f} sessions/s; session p50 "
                      f"{per[len(per) // 2]:.2f} s, max {per[-1]:.2f} s; collector CPU "
                      f"{cpu * 1000 / n:5.1f} ms/session; RSS {base:.0f} MiB -> peak "
                      f"{peak.peak:.0f} MiB (+{(peak.peak - base) * 1024 / n:.0f} KiB/session); "
                      f"fakenos CPU {sim_cpu * 1000 / n:.0f} ms/session")
                for bad in [r for r in results if not r.ok][:3]:
                    print(f"      failed: {bad.target.name}: {bad.error}")
        finally:
            col.close()


def main() -> None:
    """Parse arguments and run each fleet size."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("sizes", nargs="*", type=int, default=[20, 100])
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args()
    logging.basicConfig(level=logging.ERROR)
    print(f"collector RSS at start (netmiko, textfsm imported): {_rss_mib():.0f} MiB")
    with tempfile.TemporaryDirectory(prefix="provnet-sshbench-") as tmp:
        for n in args.sizes:
            run(n, args.rounds, Path(tmp))


if __name__ == "__main__":
    main()

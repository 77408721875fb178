"""``python -m provnet.simulator --plan plan.json [--fault SITE:ACTION@S ...] [--trap-to H:P]
[--port-states FILE]``.

Prints ``CONTROL <host>:<port>`` (when ``--control-port`` is given) and then one
``READY <n> agents`` line on stdout once every endpoint is bound; then one ``FAULT ...`` or
``CONTROL ...`` line per applied change, with wall time. Runs until SIGTERM/SIGINT.
When stdout is a pipe nobody reads, event lines are dropped rather than blocking the agents.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import logging
import os
import signal
import stat
import sys
from pathlib import Path

from provnet.simulator.faults import Fault, parse_fault
from provnet.simulator.plan import Plan, PlanError, load_plan
from provnet.simulator.runner import Simulator, serve

log = logging.getLogger("provnet.simulator")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m provnet.simulator",
                                description="Simulated SNMPv2c network from a plan file.")
    p.add_argument("--plan", required=True, help="plan JSON written by the demo seeder")
    p.add_argument("--fault", action="append", default=[], metavar="SITE:ACTION@SECONDS",
                   help="scheduled fault (repeatable); actions: link-down, link-up, "
                        "device-down, device-up, reboot")
    p.add_argument("--control-port", type=int, default=None,
                   help="loopback TCP port for JSON-line control (0 = pick a free port)")
    p.add_argument("--port", type=int, default=None, help="override the plan's UDP port")
    p.add_argument("--stats-interval", type=float, default=None, metavar="SECONDS",
                   help="log responder statistics (CPU per response) this often")
    p.add_argument("--trap-to", default=None, metavar="HOST:PORT",
                   help="send SNMPv2c traps (linkDown/linkUp/coldStart) to this receiver")
    p.add_argument("--port-states", default=None, metavar="FILE",
                   help="publish every port's state (oper status, optical levels) to this "
                        "JSON file at start and after each change (read by provnet.sshsim)")
    p.add_argument("--log-level", default="INFO", help="logging level on stderr")
    return p


class _Stdout:
    """Line writer that never blocks the event loop on a full pipe (drops instead)."""

    def __init__(self) -> None:
        sys.stdout.flush()
        self.fd = sys.stdout.fileno()
        self.dropped = 0
        if stat.S_ISFIFO(os.fstat(self.fd).st_mode):
            os.set_blocking(self.fd, False)

    def __call__(self, line: str) -> None:
        data = (line + "\n").encode()
        try:
            os.write(self.fd, data)  # pipe writes <= PIPE_BUF are all-or-nothing
        except BlockingIOError:
            self.dropped += 1
            if self.dropped == 1:
                log.warning("stdout pipe full: dropping event lines (read them or redirect)")
        except BrokenPipeError:
            self.dropped += 1


async def _run(plan: Plan, faults: list[Fault], args: argparse.Namespace) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)

    out = _Stdout()

    def ready(sim: Simulator) -> None:
        addr = sim.control_address
        if addr is not None:
            out(f"CONTROL {addr[0]}:{addr[1]}")
        out(f"READY {len(plan.devices)} agents")

    stats = await serve(plan, faults, control_port=args.control_port, on_ready=ready,
                        stop=stop, on_event=out, stats_interval_s=args.stats_interval,
                        trap_to=args.trap_to,
                        port_states=Path(args.port_states) if args.port_states else None)
    log.info("stopped: %s", stats.as_dict())


def main(argv: list[str] | None = None) -> int:
    """CLI entry point; returns the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        faults = [parse_fault(spec) for spec in args.fault]
    except ValueError as exc:
        parser.error(str(exc))
    try:
        plan = load_plan(args.plan)
    except (OSError, PlanError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.trap_to is not None:
        host, _, port = args.trap_to.rpartition(":")
        if not host or not port.isdigit() or not 1 <= int(port) <= 65535:
            parser.error(f"--trap-to {args.trap_to!r}: expected HOST:PORT")
        args.trap_to = (host, int(port))
    if args.port is not None:
        if not 1 <= args.port <= 65535:
            parser.error(f"--port {args.port}: expected 1..65535")
        plan = dataclasses.replace(plan, port=args.port)
    try:
        asyncio.run(_run(plan, faults, args))
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"error: cannot bind agents: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

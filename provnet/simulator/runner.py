"""Running the simulated network in-process: endpoints, fault schedule, control channel,
and (optionally) the ports' state published for the SSH simulator (:mod:`.portstate`).

``Simulator`` is the building block (``async with Simulator(plan) as sim: ...``);
``serve()`` runs one until a stop event is set or the task is cancelled.
"""

from __future__ import annotations

import asyncio
import logging
import resource
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from provnet.simulator.agent import AgentStats, Responder, open_endpoints
from provnet.simulator.control import ControlServer, apply_command
from provnet.simulator.device import Device
from provnet.simulator.faults import LINK_ACTIONS, Fault
from provnet.simulator.model import Network
from provnet.simulator.plan import Plan
from provnet.simulator.portstate import port_states, write_port_states
from provnet.simulator.traps import TrapSender

log = logging.getLogger(__name__)

EventSink = Callable[[str], None]


def _wall() -> str:
    return datetime.now().astimezone().isoformat(timespec="milliseconds")


def ensure_fd_limit(needed: int) -> None:
    """Raise the soft open-files limit towards ``needed`` (one socket per device)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        target = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


class Simulator:
    """All agents of one plan, its scheduled faults and optional control channel."""

    def __init__(self, plan: Plan, faults: Sequence[Fault] = (), *,
                 control_port: int | None = None, on_event: EventSink | None = None,
                 trap_to: tuple[str, int] | None = None,
                 port_states: Path | None = None) -> None:
        self.plan = plan
        self.network = Network(plan, time.monotonic(), time.time())
        self.traps: TrapSender | None = None
        if trap_to is not None:
            self.traps = TrapSender(self.network, trap_to, plan.community)
            self.traps.install()
        #: where the ports' state is published for the SSH simulator (None: not published)
        self.port_states = port_states
        self._publish_pending = False
        if port_states is not None:
            self._chain_publisher()
        self.responder = Responder(self.network)
        for fault in faults:
            self._check(fault)
        self.faults = sorted(faults, key=lambda f: f.at_s)
        self.control_port = control_port
        self._on_event = on_event or (lambda line: log.info("%s", line))
        self._transports: list[asyncio.DatagramTransport] = []
        self._server: ControlServer | None = None
        self._timers: list[asyncio.TimerHandle] = []

    def _check(self, fault: Fault) -> None:
        """Fail early on a site that does not exist (or has no uplinks to cut)."""
        if fault.action in LINK_ACTIONS:
            if not self.network.uplinks(fault.site):
                raise ValueError(f"fault {fault}: site {fault.site!r} has no uplinks")
        else:
            self.network.site_devices(fault.site)

    def _chain_publisher(self) -> None:
        """Publish the ports' state after any oper change (after the traps, if any)."""
        previous = self.network.on_event

        def on_event(kind: str, dev: Device, ifindex: int | None) -> None:
            if previous is not None:
                previous(kind, dev, ifindex)
            if not self._publish_pending:
                # the model is mid-change here: write once it is done
                self._publish_pending = True
                asyncio.get_running_loop().call_soon(self.publish_port_states)

        self.network.on_event = on_event

    def publish_port_states(self) -> None:
        """Write every port's state to :attr:`port_states` (no-op when unset)."""
        self._publish_pending = False
        if self.port_states is None:
            return
        try:
            write_port_states(self.port_states, port_states(self.network, time.monotonic()))
        except OSError as exc:
            log.warning("cannot write the port states to %s: %s", self.port_states, exc)

    @property
    def stats(self) -> AgentStats:
        """Responder statistics (requests, responses, CPU)."""
        return self.responder.stats

    @property
    def control_address(self) -> tuple[str, int] | None:
        """Where the control channel listens (None when disabled)."""
        return None if self._server is None else self._server.address

    async def start(self) -> None:
        """Bind every agent, open the control channel, schedule the faults."""
        ensure_fd_limit(len(self.plan.devices) + 256)
        self._transports = await open_endpoints(self.responder, self.plan.port)
        try:
            if self.control_port is not None:
                self._server = ControlServer(self.command)
                await self._server.start(self.control_port)
        except BaseException:
            await self.stop()
            raise
        self.publish_port_states()
        loop = asyncio.get_running_loop()
        self._timers = [loop.call_later(f.at_s, self.fire, f) for f in self.faults]

    async def stop(self) -> None:
        """Cancel pending faults, close the control channel and every endpoint."""
        for timer in self._timers:
            timer.cancel()
        self._timers = []
        if self._server is not None:
            await self._server.close()
            self._server = None
        for transport in self._transports:
            transport.close()
        self._transports = []

    async def __aenter__(self) -> Simulator:
        await self.start()
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        await self.stop()

    def fire(self, fault: Fault) -> None:
        """Apply a scheduled fault now and report it."""
        try:
            change = self.network.apply(fault, time.monotonic())
        except ValueError as exc:
            self._on_event(f"FAULT {_wall()} {fault.site} {fault.action} failed: {exc}")
            return
        self._on_event(f"FAULT {_wall()} {fault.site} {fault.action}: {change.describe()}")

    def command(self, cmd: Any) -> dict[str, Any]:
        """Answer one control request (ValueError/KeyError for bad ones)."""
        reply, change = apply_command(self.network, cmd, time.monotonic())
        if change is not None:
            target = " ".join(f"{k}={cmd[k]}" for k in ("site", "link", "device", "ifindex")
                              if k in cmd)
            self._on_event(f"CONTROL {_wall()} {target} {cmd['action']}: {change.describe()}")
        elif reply.get("ok"):
            reply["stats"] = self.stats.as_dict()
        return reply


async def serve(plan: Plan, faults: Sequence[Fault] = (), *, control_port: int | None = None,
                on_ready: Callable[[Simulator], None] | None = None,
                stop: asyncio.Event | None = None, on_event: EventSink | None = None,
                stats_interval_s: float | None = None,
                trap_to: tuple[str, int] | None = None,
                port_states: Path | None = None) -> AgentStats:
    """Run the simulator until ``stop`` is set (or the task is cancelled)."""
    stop = stop or asyncio.Event()
    async with Simulator(plan, faults, control_port=control_port, on_event=on_event,
                         trap_to=trap_to, port_states=port_states) as sim:
        if on_ready is not None:
            on_ready(sim)
        while not stop.is_set():
            try:
                await asyncio.wait_for(stop.wait(), timeout=stats_interval_s)
            except TimeoutError:
                log.info("stats %s", sim.stats.as_dict())
        return sim.stats

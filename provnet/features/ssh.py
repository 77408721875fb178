"""SSH collection attached to the running service: scheduled optics/interface collection and
configuration backup as background tasks, the configuration API, and (demo only) fakenos
devices standing in for the core, the district PoPs and two departments."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import TYPE_CHECKING, Any

from pydantic import SecretStr
from sqlalchemy import select

from provnet.api.configs import config_router
from provnet.config.settings import Settings, SshCredential
from provnet.inventory.configs import set_ssh_endpoint
from provnet.inventory.model import Device, Interface
from provnet.inventory.store import Store
from provnet.pollers.ssh import jobs
from provnet.pollers.ssh.build import load_ssh_plan, make_collector
from provnet.pollers.ssh.collector import SshCollector
from provnet.pollers.ssh.plan import SshPlan
from provnet.pollers.ssh.types import OpticReading, SshTarget

if TYPE_CHECKING:
    from provnet.service import Service
    from provnet.sshsim import SimDevice

log = logging.getLogger("provnet.ssh")
DEMO_CREDENTIAL = SshCredential(username="provnet", password=SecretStr("provnet-demo"))
DEMO_DEPARTMENTS = 2
DEMO_COLLECT_S = 60.0
DEMO_BACKUP_S = 120.0
DEMO_FIRST_AFTER_S = 45.0
#: (device id, optic readings, time) of one device's SSH collection
OpticsListener = Callable[[int, list[OpticReading], float], None]


def with_demo_credential(settings: Settings) -> Settings:
    """Settings whose SSH section knows the demo devices' login (as ``demo``) and keeps
    their host keys in ``<state>/sshsim/known_hosts`` (reset at every demo start)."""
    ssh = settings.ssh.model_copy(update={
        "credentials": {**settings.ssh.credentials, "demo": DEMO_CREDENTIAL},
        "default_credential": settings.ssh.default_credential or "demo",
        "known_hosts": settings.state_dir / "sshsim" / "known_hosts"})
    return settings.model_copy(update={"ssh": ssh})


def demo_devices(store: Store) -> list[SimDevice]:
    """The demo's SSH devices (core, PoPs, first departments), each on its own address and a
    free port, recorded as the device's SSH endpoint in the inventory."""
    from provnet.sshsim import SimDevice
    from provnet.tsdb.ports import free_ports

    pw = DEMO_CREDENTIAL.password.get_secret_value() if DEMO_CREDENTIAL.password else ""
    with store.session() as s:
        devs = s.scalars(select(Device).where(Device.role.in_(("core", "pop", "department")))
                         .order_by(Device.id)).all()
        chosen = [d for d in devs if d.role != "department"]
        chosen += [d for d in devs if d.role == "department"][:DEMO_DEPARTMENTS]
        out = []
        ports = free_ports([d.mgmt_address for d in chosen])
        for d, port in zip(chosen, ports, strict=True):
            ifs = s.scalars(select(Interface).where(Interface.device_id == d.id)
                            .order_by(Interface.ifindex).limit(8)).all()
            out.append(SimDevice(d.hostname, d.platform, port, address=d.mgmt_address,
                                 username=DEMO_CREDENTIAL.username, password=pw,
                                 interfaces=[(i.name, i.description or "") for i in ifs]))
            set_ssh_endpoint(s, d.id, port)
    return out


def _summary(what: str, rep: jobs.JobReport, seconds: float) -> None:
    changed = sum(o.changed and not o.first for o in rep.outcomes)
    log.info("SSH %s: %d devices, %d failed, %d config changes, %d points in %.1f s", what,
             len(rep.outcomes), len(rep.failed), changed, len(rep.points), seconds)
    for o in rep.failed:
        log.warning("SSH %s failed on %s (%s): %s", what, o.device, o.error_kind, o.error)


def _every(interval_s: float, run: Callable[[], Awaitable[None]], first_after_s: float = 0.0,
           ) -> Callable[[asyncio.Event], Coroutine[Any, Any, None]]:
    async def loop(stop: asyncio.Event) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), first_after_s)
        while not stop.is_set():
            try:
                await run()
            except Exception:  # a bug in one round must not end the schedule
                log.exception("SSH job failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), interval_s)
    return loop


def local_targets(plan: SshPlan, remote: frozenset[int]) -> list[SshTarget]:
    """The plan's targets this process reaches itself: not those of a poller node's plan
    (``service.remote_devices``, read at every round: a re-plan moves them at once)."""
    if not remote:
        return plan.targets
    return [t for t in plan.targets if t.device_id not in remote]


def schedule(service: Service, collector: SshCollector, plan: SshPlan, collect_s: float,
             backup_s: float, first_after_s: float = 0.0,
             on_optics: OpticsListener | None = None) -> None:
    """Register the collection and backup loops as background tasks of ``service`` (for
    the devices no poller node plans); ``on_optics`` gets each device's optic readings
    (alerting's optical rules)."""
    async def collect() -> None:
        t0 = asyncio.get_running_loop().time()
        rep = await jobs.collect(collector, local_targets(plan, service.remote_devices),
                                 plan.tags)
        service.queue_points(rep.points)
        if on_optics is not None:
            for device_id, (started, optics) in rep.optics.items():
                on_optics(device_id, optics, started)
        _summary("collection", rep, asyncio.get_running_loop().time() - t0)

    async def backup() -> None:
        t0 = asyncio.get_running_loop().time()
        rep = await jobs.backup(collector, local_targets(plan, service.remote_devices),
                                service.store, plan.tags)
        service.queue_points(rep.points)
        _summary("backup", rep, asyncio.get_running_loop().time() - t0)

    service.background.append(("ssh-collect", _every(collect_s, collect, first_after_s)))
    service.background.append(("ssh-backup", _every(backup_s, backup, first_after_s + 5)))


def attach(service: Service, on_optics: OpticsListener | None = None) -> None:
    """Configuration API always; SSH jobs when enabled and there are targets. In the demo
    (``provnet demo``) fakenos devices are started first."""
    service.routers.append(config_router(service.store))
    if not logging.getLogger().isEnabledFor(logging.DEBUG):
        logging.getLogger("paramiko").setLevel(logging.WARNING)  # a line per login otherwise
    settings = service.settings
    if not settings.ssh.enabled:
        return
    collect_s, backup_s = settings.ssh.optics_interval_s, settings.ssh.backup_interval_s
    first_after_s = 0.0
    if service.demo:
        from provnet.simulator.portstate import PORT_STATES_FILE
        from provnet.sshsim import SshSimulatorProcess

        settings = with_demo_credential(settings)
        sim_dir = settings.state_dir / "sshsim"
        # demo devices get fresh ports every run: forget the previous run's pins
        (sim_dir / "known_hosts").unlink(missing_ok=True)
        # the SNMP simulator's port states: the SSH devices follow the same faults
        sim = SshSimulatorProcess(demo_devices(service.store), sim_dir,
                                  port_states=settings.state_dir / PORT_STATES_FILE).start()
        service.closers.append(sim.stop)
        log.info("SSH simulator: %d fakenos devices in a child process (configs: %s)",
                 len(sim.devices), sim_dir)
        collect_s, backup_s = min(collect_s, DEMO_COLLECT_S), min(backup_s, DEMO_BACKUP_S)
        # let the SNMP side settle first (and stay clear of the demo's early fault window)
        first_after_s = DEMO_FIRST_AFTER_S
    collector = make_collector(settings)
    service.closers.append(collector.close)
    plan = load_ssh_plan(service.store, settings, list(collector.platforms))
    if not plan.targets:
        log.info("SSH: no devices with SSH access in the inventory")
        return
    log.info("SSH: %d devices, collection every %.0f s, backup every %.0f s",
             len(plan.targets), collect_s, backup_s)
    schedule(service, collector, plan, collect_s, backup_s, first_after_s, on_optics)

"""``provnet agent``: one poller node. Connects to its local leaf server, sets up the node's
stream and the PLAN mirror, and polls its plan until stopped (see pollers/cluster/agent.py)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from pathlib import Path

from provnet.config.cluster import AgentSettings
from provnet.pollers.cluster.agent import AgentStats, Extra, NodeAgent, Outbox
from provnet.pollers.cluster.agent_collect import CollectStats, IcmpCollector, TrapCollector
from provnet.pollers.cluster.agent_ssh import SshJobs, SshStats
from provnet.pollers.cluster.messages import NodePlan, PlannedDevice, check_token
from provnet.pollers.cluster.natslink import ClusterError, NodeLink, connect
from provnet.pollers.engine import ProfilePoller
from provnet.pollers.icmp import IcmplibPinger, Pinger
from provnet.pollers.profiles import IF_ONLY, DeviceProfile, ProfileError, load_profiles
from provnet.pollers.scheduler import Poller
from provnet.pollers.ssh.build import collector_of
from provnet.pollers.ssh.collector import SshCollector
from provnet.pollers.types import SnmpTarget

log = logging.getLogger("provnet.agent")


def _profile_map(plan: NodePlan, settings: AgentSettings) -> dict[int, DeviceProfile]:
    profiles = load_profiles(settings.profiles_file, settings.groups_dir)
    out: dict[int, DeviceProfile] = {}
    for d in plan.devices:
        try:
            out[d.device_id] = profiles.device_profile(d.device_class, d.vendor)
        except KeyError:  # a class this node's profiles do not have: interfaces only
            out[d.device_id] = IF_ONLY
    return out


async def run_agent(settings: AgentSettings, state_dir: Path, stop: asyncio.Event,
                    duration_s: float | None = None, pinger: Pinger | None = None
                    ) -> AgentStats:
    """Poll as node ``settings.node`` until ``stop`` (or ``duration_s``); ping, receive
    traps and run the SSH jobs for its devices when ``settings.icmp`` / ``settings.traps``
    / ``settings.ssh`` are enabled."""
    node = check_token(settings.node, "node")
    if duration_s is not None:
        asyncio.get_running_loop().call_later(duration_s, stop.set)
    nc = await connect([settings.nats_url], f"provnet-agent-{node}", stop)
    link = NodeLink(nc, node)
    try:
        while True:  # the leaf's JetStream may still be starting
            try:
                await link.ensure(settings.province, settings.retention_h, settings.max_bytes,
                                  settings.hub_domain)
                break
            except ClusterError as exc:
                if stop.is_set():
                    raise
                log.warning("%s; retrying", exc)
                await asyncio.sleep(1.0)
        profiles: dict[int, DeviceProfile] = {}
        version = [-1]
        agent: NodeAgent

        def profile_for(device_id: int) -> DeviceProfile:
            plan = agent.plan
            if plan is not None and plan.version != version[0]:
                profiles.clear()
                profiles.update(_profile_map(plan, settings))
                version[0] = plan.version
            return profiles.get(device_id, IF_ONLY)

        def poller_for(_plan: NodePlan) -> Poller:
            return ProfilePoller(profile_for, method="bulk" if settings.method == "bulk"
                                 else "get", max_get_varbinds=settings.max_get_varbinds)

        def target_of(device_id: int, name: str, address: str, port: int) -> SnmpTarget:
            secret = settings.communities.get(device_id, settings.community)
            return SnmpTarget(device_id, name, address, port,
                              community=secret.get_secret_value(),
                              timeout_s=settings.timeout_s, retries=settings.retries)

        def plan_of() -> NodePlan | None:
            return agent.plan

        def planned_target(d: PlannedDevice) -> SnmpTarget:
            return target_of(d.device_id, d.name, d.address, d.port)

        collected = CollectStats()
        extras: list[Extra] = []
        confirm_poller: ProfilePoller | None = None
        if settings.icmp.enabled:
            extras.append(IcmpCollector(
                node, pinger or IcmplibPinger(settings.icmp.privileged), settings.icmp,
                plan_of, lambda m: agent.emit(m), collected).run)
        if settings.traps.enabled:
            confirm_poller = ProfilePoller(profile_for, method="get",
                                           max_get_varbinds=settings.max_get_varbinds)
            extras.append(TrapCollector(node, settings.traps, plan_of, confirm_poller,
                                        planned_target, lambda m: agent.emit(m),
                                        collected).run)
        ssh_stats = SshStats()
        ssh_collector: SshCollector | None = None
        if settings.ssh.enabled:
            ssh_collector = collector_of(settings.ssh, settings.ssh.known_hosts
                                         or state_dir / "ssh_known_hosts")
            extras.append(SshJobs(node, settings.ssh, ssh_collector, plan_of,
                                  lambda m: agent.emit(m), ssh_stats).run)
        agent = NodeAgent(node, settings.province, link, Outbox(state_dir / "outbox"),
                          poller_for, target_of, settings.concurrency, settings.spread,
                          settings.max_bytes, hub_domain=settings.hub_domain, extras=extras)
        try:
            await agent.run(stop)
        finally:
            if confirm_poller is not None:
                confirm_poller.close()
            if ssh_collector is not None:
                await asyncio.to_thread(ssh_collector.close)
        s = agent.stats
        log.info("%s stopped: %d batches, %d results, %d re-published, %d duplicates, "
                 "%d overruns; CPU encoding + outbox %.3f s; %d ICMP sweeps (%d readings), "
                 "%d traps (%s), %d from unknown sources; SSH: %d optics notes, %d backups, "
                 "%d failed sessions, %d backups too large", node, s.batches, s.results,
                 s.republished, s.duplicates, s.overruns, s.cpu_encode_s, collected.sweeps,
                 collected.readings, collected.traps, collected.verdicts or {},
                 collected.traps_unknown, ssh_stats.optics_notes, ssh_stats.backups,
                 ssh_stats.failed, ssh_stats.too_large)
        return s
    finally:
        with contextlib.suppress(Exception):
            await link.close()


def main(settings: AgentSettings, state_dir: Path, duration_s: float | None = None
         ) -> AgentStats:
    """Run the agent with SIGTERM/SIGINT handling (the CLI's entry)."""
    async def go() -> AgentStats:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        return await run_agent(settings, state_dir, stop, duration_s)
    try:
        return asyncio.run(go())
    except ProfileError as exc:
        raise ClusterError(str(exc)) from exc

"""Build the SSH collector and its plan from settings and the inventory (composition helpers)."""

from __future__ import annotations

from pathlib import Path

from provnet.config.settings import Settings
from provnet.config.ssh import SshSettings
from provnet.inventory import queries
from provnet.inventory.configs import ssh_access
from provnet.inventory.store import Store
from provnet.pollers.ssh.collector import SshCollector
from provnet.pollers.ssh.hostkeys import KnownHosts
from provnet.pollers.ssh.plan import SshPlan, build_ssh_plan
from provnet.pollers.ssh.platforms import load_platforms
from provnet.pollers.ssh.session import NetmikoRunner


def known_hosts_path(settings: Settings) -> str:
    """The configured known-hosts file, else ``<state_dir>/ssh_known_hosts``."""
    return str(settings.ssh.known_hosts or settings.state_dir / "ssh_known_hosts")


def make_collector(settings: Settings) -> SshCollector:
    """A collector with the configured platforms, host-key policy, timeouts and concurrency."""
    return collector_of(settings.ssh, Path(known_hosts_path(settings)))


def collector_of(cfg: SshSettings, known_hosts: Path) -> SshCollector:
    """A collector of an ``ssh:`` section (the service's or a poller node's)."""
    runner = NetmikoRunner(KnownHosts(known_hosts), cfg.host_key_policy,
                           cfg.connect_timeout_s, cfg.command_timeout_s)
    return SshCollector(runner, load_platforms(cfg.platforms_dir), cfg.concurrency)


def load_ssh_plan(store: Store, settings: Settings, platforms: list[str]) -> SshPlan:
    """SSH targets from the inventory (devices with an SSH endpoint or profile)."""
    with store.session() as s:
        return build_ssh_plan(queries.devices(s), ssh_access(s), settings.ssh, platforms)

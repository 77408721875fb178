"""``cluster:`` settings of the centre and the settings file of a poller node (``provnet
agent``): remote pollers over NATS JetStream (issue 16; see docs/deploy.md)."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import Field, SecretStr, ValidationError

from provnet.config.base import Strict
from provnet.config.errors import ConfigError
from provnet.config.icmp import IcmpSettings
from provnet.config.ssh import SshSettings
from provnet.config.traps import TrapSettings

_TOKEN = r"^[A-Za-z0-9_-]{1,64}$"


class NodeGroup(Strict):
    """Poller nodes at one PoP sharing its devices (Zabbix proxy group): a device goes to the
    first node of ``nodes`` (by a stable hash) whose heartbeat is fresh."""

    name: str = Field(pattern=_TOKEN)
    nodes: list[str] = Field(min_length=1)
    #: which devices: by district code, site code or device id (any of)
    districts: list[str] = Field(default_factory=list)
    sites: list[str] = Field(default_factory=list)
    devices: list[int] = Field(default_factory=list)


class LeafTls(Strict):
    """TLS of the leafnode links between the poller nodes' leaves and the hub (PEM files from
    one private CA; docs/deploy.md). At the hub, ``verify`` requires every leaf to present a
    certificate of that CA; a leaf always checks the hub's certificate against ``ca_file``
    (and its name against the URL it dials)."""

    cert_file: Path
    key_file: Path
    ca_file: Path
    #: hub only: refuse a leaf without a certificate of ``ca_file``'s CA
    verify: bool = True
    #: TLS handshake timeout (s)
    timeout_s: float = Field(default=2.0, gt=0)


class ClusterSettings(Strict):
    """``cluster:`` at the centre: hub servers, the stream, the planner's groups."""

    enabled: bool = False
    province: str = Field(default="prov", pattern=_TOKEN)
    hub_urls: list[str] = Field(default_factory=lambda: ["nats://127.0.0.1:4222"])
    #: replicas of the hub stream and the PLAN bucket (3 with three hub servers)
    replicas: int = Field(default=1, ge=1, le=5)
    stream: str = Field(default="ALL", pattern=_TOKEN)
    durable: str = Field(default="centre", pattern=_TOKEN)
    retention_days: float = Field(default=7.0, gt=0)
    #: a node silent this long loses its devices to a fresh node of its group (never when
    #: the whole group is silent: a cut WAN and a dead PoP look the same from the centre)
    failover_delay_s: float = Field(default=60.0, ge=0)
    #: poll interval of the nodes (default: ``poller.interval_s``)
    interval_s: float | None = Field(default=None, gt=0)
    shards: int = Field(default=1, ge=1, le=64)
    groups: list[NodeGroup] = Field(default_factory=list)
    #: messages per fetch: a fetch is decoded while the one before is written, so keep
    #: fetch_batch x devices per batch around 10,000 results (a 625-device batch: 16)
    fetch_batch: int = Field(default=16, ge=1)
    #: redelivered/replayed backlog is throttled by this, so live data is not starved
    max_ack_pending: int = Field(default=2048, ge=1)
    ack_wait_s: float = Field(default=30.0, gt=0)
    #: plans are recomputed and heartbeats checked this often
    plan_every_s: float = Field(default=5.0, gt=0)
    #: TLS of the hub servers' leafnode listener (``natsconf.hub_conf``)
    leaf_tls: LeafTls | None = None


class AgentSettings(Strict):
    """The settings file of ``provnet agent`` (one poller node)."""

    node: str = Field(pattern=_TOKEN)
    province: str = Field(default="prov", pattern=_TOKEN)
    #: the node's own leaf server (local: the agent never talks to the centre directly)
    nats_url: str = "nats://127.0.0.1:4222"
    community: SecretStr = SecretStr("public")
    #: per-device community overrides (device id -> community)
    communities: dict[int, SecretStr] = Field(default_factory=dict)
    timeout_s: float = Field(default=2.0, gt=0)
    retries: int = Field(default=1, ge=0)
    concurrency: int = Field(default=64, ge=1)
    #: device start times spread over this fraction of the interval
    spread: float = Field(default=0.5, ge=0, lt=1)
    method: str = Field(default="get", pattern="^(get|bulk)$")
    max_get_varbinds: int = Field(default=64, ge=1)
    profiles_file: Path | None = None
    groups_dir: Path | None = None
    #: the local stream's retention: size it in time (72 h at 0.5 KB/device-result)
    retention_h: float = Field(default=72.0, gt=0)
    max_bytes: int = Field(default=20 * 2**30, gt=0)
    #: the hub's JetStream domain (the PLAN bucket is mirrored from it)
    hub_domain: str = "hub"
    #: TLS of the node's leaf server towards the hub (``natsconf.leaf_conf``)
    leaf_tls: LeafTls | None = None
    #: ICMP sweeps of the plan's devices (the ``icmp:`` section of ``provnet serve``); the
    #: centre does not ping the devices a node plans
    icmp: IcmpSettings = Field(default_factory=IcmpSettings)
    #: the trap receiver for the plan's devices (the ``traps:`` section of ``provnet
    #: serve``), off unless enabled: the devices must send their traps to this node
    traps: TrapSettings = Field(default_factory=lambda: TrapSettings(enabled=False))
    #: SSH optics collection and configuration backup of the plan's devices (the ``ssh:``
    #: section of ``provnet serve``; the credentials stay here, the plan names no secret),
    #: off unless enabled. ``known_hosts`` defaults to ``<state>/ssh_known_hosts``
    ssh: SshSettings = Field(default_factory=lambda: SshSettings(enabled=False))


def load_agent_settings(path: Path) -> AgentSettings:
    """An agent's settings from its YAML file; errors name the file."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from exc
    try:
        return AgentSettings.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(f"{path}: {exc}") from exc

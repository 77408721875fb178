"""Settings: strict (unknown keys fail), validated once at load, secrets print as ``***``."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from provnet.config.base import Strict
from provnet.config.cluster import ClusterSettings
from provnet.config.errors import ConfigError
from provnet.config.eventtime import EventTimeSettings
from provnet.config.history import HistorySettings
from provnet.config.icmp import IcmpSettings
from provnet.config.ldap import LdapSettings
from provnet.config.netbox import NetboxSettings
from provnet.config.notify import NotifierSettings
from provnet.config.ssh import SshCredential as SshCredential  # re-exported
from provnet.config.ssh import SshSettings
from provnet.config.traps import TrapSettings
from provnet.config.tsdb import TsdbSettings


class InfluxSettings(Strict):
    """Where samples go. No ``url`` means provnet starts and owns a local influxd."""

    url: str | None = None
    database: str = "provnet"
    write_api: Literal["auto", "v1", "v2"] = "auto"
    username: str | None = None
    password: SecretStr | None = None
    token: SecretStr | None = None
    org: str = "provnet"
    bucket: str | None = None
    timeout_s: float = Field(default=10.0, gt=0)
    batch_size: int = Field(default=5000, gt=0)
    #: batches of one large write sent at once (a backlog after a WAN cut: the server's
    #: ingestion, not provnet, is then the bottleneck; 1 = one after the other)
    write_parallel: int = Field(default=2, ge=1, le=16)
    spool_max_bytes: int = Field(default=256 * 1024 * 1024, ge=0)
    influxd_binary: str = "influxd"


class SnmpProfile(Strict):
    """SNMP access to a class of devices, referenced by name from the inventory."""

    version: Literal["2c"] = "2c"
    community: SecretStr = SecretStr("public")
    port: int = Field(default=161, gt=0, lt=65536)
    timeout_s: float = Field(default=2.0, gt=0)
    retries: int = Field(default=1, ge=0)


class PollerSettings(Strict):
    """Polling schedule and limits, and what to poll (profiles)."""

    interval_s: float = Field(default=60.0, gt=0)
    concurrency: int = Field(default=32, gt=0)
    stale_after_intervals: float = Field(default=2.5, gt=0)
    #: device classes and credentials (None: the built-in config/profiles/default.yaml)
    profiles_file: Path | None = None
    #: poll group YAMLs (None: the built-in config/profiles/groups)
    groups_dir: Path | None = None
    #: poller processes, devices sharded by a hash of their id (0: one per CPU core)
    workers: int = Field(default=1, ge=0, le=64)
    #: fraction of the interval over which device start times are spread (stable per device)
    spread: float = Field(default=0.5, ge=0, lt=1)
    #: counters of known interfaces: explicit-instance GETs, or one bounded GETBULK
    method: Literal["get", "bulk"] = "get"
    max_get_varbinds: int = Field(default=64, gt=0, le=1000)


class ApiSettings(Strict):
    """HTTP API listener."""

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, lt=65536)
    #: Host names answered (DNS rebinding); empty: the bound address and the local names
    #: (a wildcard bind also accepts the machine's name and any IP literal)
    allowed_hosts: list[str] = Field(default_factory=list)
    #: larger request bodies get 413 and are not read
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024, le=1024**3)
    #: answer anonymous ``GET /api/v1/health`` with a minimal ``{"status": "ok"}`` (load
    #: balancers); otherwise it needs a token like every route
    public_health: bool = False
    #: serve ``GET /metrics`` without a token (a Prometheus on a trusted network)
    public_metrics: bool = False
    #: serve HTTPS with this certificate and key (PEM); session cookies are then ``Secure``
    tls_cert: Path | None = None
    tls_key: Path | None = None
    #: answer from a process of its own (``api/front.py``): the answer cache, Host/body checks
    #: and roles there, everything else passed to the service on a Unix socket; the API's
    #: load then never competes with polling for the service's event loop (issue 14)
    front: bool = False
    #: the front's scheduling priority (``nice``; below 0 needs root): a NOC's screens first
    front_nice: int = Field(default=0, ge=-20, le=19)


class CoverageSettings(Strict):
    """Coverage maps: link budget per technology, terrain, fibre drop distance (maps/)."""

    environment: Literal["suburban", "rural"] = "suburban"
    # signal level a UE needs: RxLev (2G), RSCP (3G), RSRP (4G), SS-RSRP (5G), dBm
    thresholds_dbm: dict[str, float] = Field(
        default_factory=lambda: {"2G": -100.0, "3G": -100.0, "4G": -110.0, "5G": -105.0})
    # total power -> the per-RE / pilot power the threshold refers to (dB):
    # 3G CPICH ~10 % of power; 4G 20 MHz = 1200 RE; 5G 100 MHz at 30 kHz = 3276 RE
    reference_offset_db: dict[str, float] = Field(
        default_factory=lambda: {"2G": 0.0, "3G": 10.0, "4G": 30.8, "5G": 35.2})
    antenna_gain_dbi: float = 17.0
    omni_gain_dbi: float = 11.0
    losses_db: float = Field(default=3.0, ge=0)
    ue_height_m: float = Field(default=1.5, gt=0)
    default_power_dbm: float = 43.0
    min_range_m: float = Field(default=100.0, gt=0)
    max_range_m: float = Field(default=30_000.0, gt=0)
    arc_step_deg: float = Field(default=10.0, gt=0, le=45)  # equal-area arcs: no area bias
    fibre_drop_m: float = Field(default=500.0, gt=0)
    infill_spacing_m: float = Field(default=1500.0, gt=0)
    infill_top_n: int = Field(default=5, gt=0)
    compute_on_start: bool = True
    refresh_interval_s: float = Field(default=300.0, gt=0)  # incremental: unchanged = cheap
    workers: int = Field(default=2, ge=1, le=64)  # threads for the per-commune geometry
class ContactSettings(Strict):
    """Who is escalated to; empty ``districts``/``sites`` = everywhere."""

    name: str = Field(min_length=1)
    email: str | None = None
    telegram_chat_id: str | None = None
    language: Literal["vi", "en"] = "vi"
    districts: list[str] = Field(default_factory=list)
    sites: list[str] = Field(default_factory=list)


class AlertSettings(Strict):
    """Alerting: rules file, escalation, contacts, notifier channels."""

    enabled: bool = True
    rules_file: Path | None = None  # None: config/alerts/default.yaml
    escalate_after_s: float = Field(default=900.0, gt=0)
    max_escalations: int = Field(default=3, ge=0)
    public_url: str | None = None  # base URL of the API in notification links
    contacts: list[ContactSettings] = Field(default_factory=list)
    notify: NotifierSettings = NotifierSettings()
    #: configuration changes this long before an incident started are shown with it
    config_change_window_s: float = Field(default=1800.0, ge=0)
    #: remote poller nodes: watermarks, silence, guards (issue 16, ``alerts/eventtime.py``)
    eventtime: EventTimeSettings = EventTimeSettings()
class Settings(BaseSettings):
    """All of provnet's settings. Environment: ``PROVNET_*`` with ``__`` for nesting."""

    model_config = SettingsConfigDict(
        env_prefix="PROVNET_", env_nested_delimiter="__", extra="forbid", frozen=True
    )

    state_dir: Path = Path(".provnet")
    database_url: SecretStr | None = None  # may carry a password: printed as ***
    influx: InfluxSettings = InfluxSettings()
    poller: PollerSettings = PollerSettings()
    api: ApiSettings = ApiSettings()
    ldap: LdapSettings = LdapSettings()  # optional login path (issue 13)
    coverage: CoverageSettings = CoverageSettings()
    alerts: AlertSettings = AlertSettings()
    ssh: SshSettings = SshSettings()
    traps: TrapSettings = TrapSettings()
    icmp: IcmpSettings = IcmpSettings()
    history: HistorySettings = HistorySettings()
    netbox: NetboxSettings = NetboxSettings()
    tsdb: TsdbSettings = TsdbSettings()  # influxdb or victoriametrics (issue 16)
    cluster: ClusterSettings = ClusterSettings()  # remote poller nodes (issue 16)
    snmp_profiles: dict[str, SnmpProfile] = Field(
        default_factory=lambda: {"default": SnmpProfile()}
    )

    def sql_url(self) -> str:
        """SQLAlchemy URL: the configured one, else a SQLite file under the state dir."""
        if self.database_url:
            return self.database_url.get_secret_value()
        return f"sqlite:///{(self.state_dir / 'inventory.sqlite').resolve()}"


def load_settings(path: Path | None = None, **overrides: Any) -> Settings:
    """Load settings from an optional YAML file, the environment and explicit overrides."""
    data: dict[str, Any] = {}
    if path is not None:
        try:
            loaded = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise ConfigError(f"cannot read {path}: {exc}") from exc
        if not isinstance(loaded, dict):
            raise ConfigError(f"{path}: top level must be a mapping")
        data.update(loaded)
    for key, value in overrides.items():  # a section overridden in part keeps the file's rest
        if value is None:
            continue
        both = isinstance(value, dict) and isinstance(data.get(key), dict)
        data[key] = {**data[key], **value} if both else value
    try:
        return Settings(**data)
    except ValidationError as exc:
        where = f"{path}: " if path else ""
        raise ConfigError(f"{where}invalid settings:\n{exc}") from exc

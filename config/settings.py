"""Settings: strict (unknown keys fail), validated once at load, secrets print as ``***``."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from config.errors import ConfigError
from pollers.icmp import IcmpSettings
from pollers.traps import TrapSettings


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class InfluxSettings(_Strict):
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
    spool_max_bytes: int = Field(default=256 * 1024 * 1024, ge=0)
    influxd_binary: str = "influxd"


class SnmpProfile(_Strict):
    """SNMP access to a class of devices, referenced by name from the inventory."""

    version: Literal["2c"] = "2c"
    community: SecretStr = SecretStr("public")
    port: int = Field(default=161, gt=0, lt=65536)
    timeout_s: float = Field(default=2.0, gt=0)
    retries: int = Field(default=1, ge=0)


class PollerSettings(_Strict):
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


class ApiSettings(_Strict):
    """HTTP API listener."""

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, lt=65536)


class Settings(BaseSettings):
    """All of provnet's settings. Environment: ``PROVNET_*`` with ``__`` for nesting."""

    model_config = SettingsConfigDict(
        env_prefix="PROVNET_", env_nested_delimiter="__", extra="forbid", frozen=True
    )

    state_dir: Path = Path(".provnet")
    database_url: str | None = None
    influx: InfluxSettings = InfluxSettings()
    poller: PollerSettings = PollerSettings()
    api: ApiSettings = ApiSettings()
    traps: TrapSettings = TrapSettings()
    icmp: IcmpSettings = IcmpSettings()
    snmp_profiles: dict[str, SnmpProfile] = Field(
        default_factory=lambda: {"default": SnmpProfile()}
    )

    def sql_url(self) -> str:
        """SQLAlchemy URL: the configured one, else a SQLite file under the state dir."""
        if self.database_url:
            return self.database_url
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
    data.update({k: v for k, v in overrides.items() if v is not None})
    try:
        return Settings(**data)
    except ValidationError as exc:
        where = f"{path}: " if path else ""
        raise ConfigError(f"{where}invalid settings:\n{exc}") from exc

"""Settings: strict (unknown keys fail), validated once at load, secrets print as ``***``."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from config.errors import ConfigError


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
    """Polling schedule and limits."""

    interval_s: float = Field(default=60.0, gt=0)
    concurrency: int = Field(default=32, gt=0)
    stale_after_intervals: float = Field(default=2.5, gt=0)


class ApiSettings(_Strict):
    """HTTP API listener."""

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, lt=65536)


class SshCredential(_Strict):
    """One SSH login, referenced by name from platforms, device roles or the inventory."""

    username: str
    password: SecretStr | None = None
    key_file: Path | None = None
    enable_secret: SecretStr | None = None


class SshSettings(_Strict):
    """SSH collection and configuration backup (netmiko in worker threads)."""

    enabled: bool = True
    credentials: dict[str, SshCredential] = Field(default_factory=dict)
    #: credential name per platform (``huawei_vrp``) or per device role (``pop``); role wins
    credential_by_platform: dict[str, str] = Field(default_factory=dict)
    credential_by_role: dict[str, str] = Field(default_factory=dict)
    default_credential: str | None = None
    known_hosts: Path | None = None  # default: <state_dir>/ssh_known_hosts
    host_key_policy: Literal["strict", "pin_first_use"] = "pin_first_use"
    platforms_dir: Path | None = None  # default: the platforms shipped in config/platforms
    concurrency: int = Field(default=16, gt=0, le=512)
    connect_timeout_s: float = Field(default=10.0, gt=0)
    command_timeout_s: float = Field(default=30.0, gt=0)
    optics_interval_s: float = Field(default=300.0, gt=0)
    backup_interval_s: float = Field(default=3600.0, gt=0)


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
    ssh: SshSettings = SshSettings()
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

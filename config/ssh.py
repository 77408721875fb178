"""``ssh:`` settings: SSH collection and configuration backup, of ``provnet serve`` and of a
poller node (``provnet agent``, whose credentials stay on the node)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr

from provnet.config.base import Strict


class SshCredential(Strict):
    """One SSH login, referenced by name from platforms, device roles or the inventory."""

    username: str
    password: SecretStr | None = None
    key_file: Path | None = None
    enable_secret: SecretStr | None = None


class SshSettings(Strict):
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

"""Platforms as data: ``config/platforms/*.yaml`` say how to talk to and parse each CLI.

A platform file names the netmiko ``device_type``, the command per purpose (``optics``,
``interfaces``, ``running_config``), the TextFSM template that parses each command (one of
ours under ``pollers/ssh/templates`` or one of ``ntc-templates``) with the mapping from
template values to record fields, and the scrub rules of the configuration backup.
"""

from __future__ import annotations

import re
from functools import cached_property
from pathlib import Path
from typing import Literal

import yaml
from pydantic import Field, ValidationError, field_validator

from provnet.config.base import Strict
from provnet.pollers.ssh.errors import PlatformError

PLATFORMS_DIR = Path(__file__).resolve().parents[2] / "config" / "platforms"


class ParserSpec(Strict):
    """A TextFSM template and how its values map to record fields."""

    template: str
    fields: dict[str, str]


class ScrubRule(Strict):
    """A regular expression (multiline) and its replacement (``\\1`` back-references)."""

    pattern: str
    replace: str = ""

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, v: str) -> str:
        try:
            re.compile(v)
        except re.error as exc:
            raise ValueError(f"bad regular expression {v!r}: {exc}") from exc
        return v


class Platform(Strict):
    """How provnet collects from one kind of device."""

    name: str
    netmiko_device_type: str
    enable: bool = False
    logout: str = "exit"  # the command that ends a CLI session
    commands: dict[Literal["optics", "interfaces", "running_config"], str]
    parsers: dict[Literal["optics", "interfaces"], ParserSpec] = Field(default_factory=dict)
    #: short interface prefixes (``Gi``) -> full names (``GigabitEthernet``)
    ifname_aliases: dict[str, str] = Field(default_factory=dict)
    #: secrets: replaced, the line stays (a diff still shows that a password changed place)
    scrub_secrets: list[ScrubRule] = Field(default_factory=list)
    #: volatile lines (clock, byte counts): removed before storing and comparing
    drop_lines: list[str] = Field(default_factory=list)

    @cached_property
    def drop_re(self) -> re.Pattern[str] | None:
        """One regex matching every volatile line."""
        if not self.drop_lines:
            return None
        return re.compile("|".join(f"(?:{p})" for p in self.drop_lines))


def load_platform(path: Path) -> Platform:
    """Load and validate one platform file; errors name the file and the field."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise PlatformError(f"cannot read {path}: {exc}") from exc
    try:
        platform = Platform.model_validate(data)
        _ = platform.drop_re
    except (ValidationError, re.error) as exc:
        raise PlatformError(f"{path}: invalid platform:\n{exc}") from exc
    if platform.name != path.stem:
        raise PlatformError(f"{path}: name {platform.name!r} must match the file name")
    return platform


def load_platforms(directory: Path | None = None) -> dict[str, Platform]:
    """Every ``*.yaml`` platform in ``directory`` (default: the shipped ones), by name."""
    directory = directory or PLATFORMS_DIR
    if not directory.is_dir():
        raise PlatformError(f"platform directory {directory} does not exist")
    return {p.stem: load_platform(p) for p in sorted(directory.glob("*.yaml"))}

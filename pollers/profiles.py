"""Poll profiles as data: device classes (what to poll) and credentials (how), from YAML.

``config/profiles/default.yaml``::

    credentials:                 # by name; secret values may be "${ENV_VAR}" references
      demo: {version: "2c", community: provnet-demo}
      prov-v3: {version: "3", user: provnet, auth: SHA, auth_key: "${PROVNET_V3_AUTH}",
                priv: AES, priv_key: "${PROVNET_V3_PRIV}"}
    classes:                     # first match wins, in file order
      commune_router:
        match: {role: [commune]}           # role / vendor / platform: case-insensitive globs
        credentials: demo   # optional: else settings.snmp_profiles[device.snmp_profile],
                            # else the credentials entry named like device.snmp_profile
        groups: []                          # for every vendor
        vendor_groups: {huawei: [optics_huawei, health_huawei]}
        discovery_every_s: 3600

Top-level keys starting with ``x-`` are ignored (holders for YAML anchors). Loading is
strict: unknown keys, unknown group or credential names fail with the file and the key named.
An unset ``${ENV}`` does not fail the load: devices using that credential are reported as not
polled, naming the variable (never the secret).
"""

from __future__ import annotations

import fnmatch
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import Field, SecretStr, ValidationError, model_validator

from provnet.config.base import Strict
from provnet.pollers.errors import PollerError
from provnet.pollers.groups import Group
from provnet.pollers.types import V3Credentials

#: Where the built-in profile file and group directory live.
PROFILES_DIR = Path(__file__).resolve().parent.parent / "config" / "profiles"
DEFAULT_PROFILES_FILE = PROFILES_DIR / "default.yaml"
DEFAULT_GROUPS_DIR = PROFILES_DIR / "groups"
_ENV_REF = re.compile(r"^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$")
AuthName = Literal["none", "MD5", "SHA", "SHA224", "SHA256", "SHA384", "SHA512"]
PrivName = Literal["none", "DES", "3DES", "AES", "AES128", "AES192", "AES256"]


class ProfileError(PollerError):
    """A profile file is invalid (the message names the file and the key)."""


class Credential(Strict):
    """SNMP credentials. ``port``/``timeout_s``/``retries`` unset: the device's SNMP profile's."""

    version: Literal["2c", "3"] = "2c"
    community: SecretStr | None = None
    user: str | None = None
    auth: AuthName = "SHA"
    auth_key: SecretStr | None = None
    priv: PrivName = "AES"
    priv_key: SecretStr | None = None
    port: int | None = Field(default=None, gt=0, lt=65536)
    timeout_s: float | None = Field(default=None, gt=0)
    retries: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _complete(self) -> Credential:
        if self.version == "2c" and self.community is None:
            raise ValueError("version 2c needs 'community'")
        if self.version == "3":
            if not self.user:
                raise ValueError("version 3 needs 'user'")
            if self.auth != "none" and self.auth_key is None:
                raise ValueError("auth needs 'auth_key' (or auth: none)")
            if self.priv != "none" and self.priv_key is None:
                raise ValueError("priv needs 'priv_key' (or priv: none)")
            if self.priv != "none" and self.auth == "none":
                raise ValueError("privacy without authentication is not allowed in SNMPv3")
        return self

    def unresolved(self) -> list[str]:
        """``${ENV}`` references whose variable is not set (names only)."""
        out = []
        for secret in (self.community, self.auth_key, self.priv_key):
            if secret is not None:
                m = _ENV_REF.match(secret.get_secret_value())
                if m:
                    out.append(m.group(1))
        return out

    def v3(self) -> V3Credentials | None:
        """The SNMPv3 user for a target (None for v2c)."""
        if self.version != "3":
            return None
        assert self.user is not None
        return V3Credentials(
            user=self.user, auth_protocol=self.auth,
            auth_key=self.auth_key.get_secret_value() if self.auth_key else "",
            priv_protocol=self.priv,
            priv_key=self.priv_key.get_secret_value() if self.priv_key else "")


class Match(Strict):
    """Inventory fields a class matches; each a list of case-insensitive globs (any of)."""

    role: list[str] = Field(default_factory=list)
    vendor: list[str] = Field(default_factory=list)
    platform: list[str] = Field(default_factory=list)

    def matches(self, role: str, vendor: str, platform: str) -> bool:
        """True when every given field has a matching pattern."""
        for patterns, value in ((self.role, role), (self.vendor, vendor),
                                (self.platform, platform)):
            if patterns and not any(fnmatch.fnmatchcase(value.casefold(), p.casefold())
                                    for p in patterns):
                return False
        return True


class DeviceClass(Strict):
    """What to poll on one class of devices."""

    description: str = ""
    match: Match = Match()
    credentials: str | None = None
    groups: list[str] = Field(default_factory=list)
    #: more groups by vendor (case-insensitive glob on the inventory vendor -> group names)
    vendor_groups: dict[str, list[str]] = Field(default_factory=dict)
    discovery_every_s: float = Field(default=3600.0, gt=0)
    budget_s: float | None = Field(default=None, gt=0)  # per-device time budget per cycle
    interfaces: bool = True  # IF-MIB discovery + counters (built into the engine)


class ProfileFile(Strict):
    """The whole file."""

    credentials: dict[str, Credential] = Field(default_factory=dict)
    classes: dict[str, DeviceClass]


@dataclass(frozen=True)
class DeviceProfile:
    """A class resolved for one device: groups as objects (picklable, sent to workers)."""

    class_name: str
    groups: tuple[Group, ...] = ()
    discovery_every_s: float = 3600.0
    budget_s: float | None = None
    interfaces: bool = True


#: Used for devices no class matches, and by callers that poll without profiles.
IF_ONLY = DeviceProfile("interfaces")


@dataclass(frozen=True)
class Profiles:
    """Loaded profiles with their groups."""

    file: ProfileFile
    groups: Mapping[str, Group]
    source: str = ""

    def classify(self, role: str, vendor: str, platform: str) -> str | None:
        """Name of the first class matching the device, or None."""
        for name, cls in self.file.classes.items():
            if cls.match.matches(role, vendor, platform):
                return name
        return None

    def device_profile(self, class_name: str | None, vendor: str = "") -> DeviceProfile:
        """The resolved profile of a class for a vendor (:data:`IF_ONLY` for None)."""
        if class_name is None:
            return IF_ONLY
        cls = self.file.classes[class_name]
        names = list(cls.groups)
        for pattern, extra in cls.vendor_groups.items():
            if fnmatch.fnmatchcase(vendor.casefold(), pattern.casefold()):
                names += [g for g in extra if g not in names]
        return DeviceProfile(class_name, tuple(self.groups[g] for g in names),
                             cls.discovery_every_s, cls.budget_s, cls.interfaces)


def _expand_env(value: Any) -> Any:
    """Replace ``"${VAR}"`` strings by the variable's value when it is set."""
    if isinstance(value, str):
        m = _ENV_REF.match(value.strip())
        if m and m.group(1) in os.environ:
            return os.environ[m.group(1)]
        return value
    if isinstance(value, dict):
        return {k: _expand_env(v) for k, v in value.items()}
    return value


def _error_text(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(str(p) for p in e['loc']) or '(file)'}: {e['msg']}"
                     for e in exc.errors())


def parse_profiles(raw: Any, groups: Mapping[str, Group], source: str = "profiles") -> Profiles:
    """Validate a loaded profile document against the known groups."""
    if not isinstance(raw, dict):
        raise ProfileError(f"{source}: top level must be a mapping")
    raw = {k: v for k, v in raw.items() if not str(k).startswith("x-")}  # anchor holders
    if isinstance(raw.get("credentials"), dict):
        raw["credentials"] = {k: _expand_env(v) for k, v in raw["credentials"].items()}
    try:
        pf = ProfileFile.model_validate(raw)
    except ValidationError as exc:
        raise ProfileError(f"{source}: {_error_text(exc)}") from exc
    for name, cls in pf.classes.items():
        if cls.credentials is not None and cls.credentials not in pf.credentials:
            raise ProfileError(f"{source}: classes.{name}.credentials: unknown credentials "
                               f"{cls.credentials!r} (known: {', '.join(pf.credentials)})")
        for g in [*cls.groups, *(g for gs in cls.vendor_groups.values() for g in gs)]:
            if g not in groups:
                raise ProfileError(f"{source}: classes.{name}.groups: unknown group {g!r} "
                                   f"(known: {', '.join(sorted(groups))})")
    return Profiles(pf, dict(groups), source)


def load_profiles(path: Path | None = None, groups_dir: Path | None = None) -> Profiles:
    """Load the profile file (default: the built-in one) and the groups it may use."""
    from provnet.pollers.groups import load_groups

    path = path or DEFAULT_PROFILES_FILE
    groups = load_groups(groups_dir or DEFAULT_GROUPS_DIR)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ProfileError(f"{path}: cannot read profiles: {exc}") from exc
    return parse_profiles(raw, groups, str(path))

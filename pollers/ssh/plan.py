"""Which devices SSH collection reaches, with what credentials (pure)."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from provnet.config.settings import SshCredential, SshSettings
from provnet.inventory.configs import SshAccess
from provnet.inventory.queries import DeviceRecord
from provnet.pollers.ssh.types import SshLogin, SshTarget

log = logging.getLogger(__name__)


@dataclass
class SshPlan:
    """SSH targets, their InfluxDB tags, and devices left out (with the reason)."""

    targets: list[SshTarget] = field(default_factory=list)
    tags: dict[int, dict[str, str]] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)


def credential_name(dev: DeviceRecord, profile: str | None, cfg: SshSettings) -> str | None:
    """Device's own profile, else by role, else by platform, else the default."""
    return credential_for(dev.role, dev.platform, profile, cfg)


def credential_for(role: str, platform: str, profile: str | None, cfg: SshSettings
                   ) -> str | None:
    """:func:`credential_name` from the names alone (a poller node's plan carries them)."""
    return (profile or cfg.credential_by_role.get(role)
            or cfg.credential_by_platform.get(platform) or cfg.default_credential)


def login(cred: SshCredential) -> SshLogin:
    """Credentials as the adapter takes them (secrets revealed only here)."""
    return SshLogin(
        username=cred.username,
        password=cred.password.get_secret_value() if cred.password else None,
        key_file=cred.key_file,
        enable_secret=cred.enable_secret.get_secret_value() if cred.enable_secret else None)


def build_ssh_plan(devices: Sequence[DeviceRecord], access: Mapping[int, SshAccess],
                   cfg: SshSettings, platforms: Sequence[str]) -> SshPlan:
    """SSH targets for the devices that have SSH access and a known platform."""
    plan = SshPlan()
    for d in devices:
        acc = access.get(d.id)
        if acc is None:
            continue
        name = credential_name(d, acc.ssh_profile, cfg)
        if d.platform not in platforms:
            plan.skipped.append(f"{d.hostname}: no SSH platform {d.platform!r}")
            continue
        if name is None or name not in cfg.credentials:
            plan.skipped.append(f"{d.hostname}: no SSH credential "
                                f"{name!r}" if name else f"{d.hostname}: no SSH credential")
            continue
        plan.targets.append(SshTarget(device_id=d.id, name=d.hostname,
                                      host=acc.host or d.mgmt_address, port=acc.port or 22,
                                      platform=d.platform, login=login(cfg.credentials[name])))
        tags = {"device": d.hostname, "site": d.site_code, "role": d.role}
        if d.district_code:
            tags["district"] = d.district_code
        if d.commune_code:
            tags["commune"] = d.commune_code
        plan.tags[d.id] = tags
    for msg in plan.skipped:
        log.warning("not collected over SSH: %s", msg)
    return plan

"""The poll plan: inventory devices + SNMP access + profiles -> targets, profiles and tags."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from provnet.config.settings import SnmpProfile
from provnet.inventory.queries import DeviceRecord, LinkRecord
from provnet.pollers.profiles import IF_ONLY, Credential, DeviceProfile, Profiles
from provnet.pollers.types import SnmpTarget

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PollPlan:
    """What to poll and how to tag it. Tags are stable codes, never display names."""

    targets: list[SnmpTarget]
    device_tags: dict[int, dict[str, str]] = field(default_factory=dict)
    if_tags: dict[int, dict[int, dict[str, str]]] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    #: device id -> what to poll on it (device class, groups, discovery period, budget)
    profiles: dict[int, DeviceProfile] = field(default_factory=dict)

    def profile_for(self, device_id: int) -> DeviceProfile:
        """The device's profile (interfaces only when it has none)."""
        return self.profiles.get(device_id, IF_ONLY)


def _target(d: DeviceRecord, access: SnmpProfile | None, cred_name: str | None,
            cred: Credential | None) -> SnmpTarget | str:
    """The device's target, or why it cannot be polled (never a secret in the text)."""
    if cred is None and access is None:
        return f"{d.hostname}: unknown SNMP profile {d.snmp_profile!r}"
    if cred is not None:
        missing = cred.unresolved()
        if missing:
            return (f"{d.hostname}: credentials {cred_name!r}: environment variable(s) "
                    f"{', '.join(missing)} not set")
    port = (cred.port if cred and cred.port else None) or (access.port if access else 161)
    timeout = (cred.timeout_s if cred and cred.timeout_s else None) or \
        (access.timeout_s if access else 2.0)
    retries = cred.retries if cred and cred.retries is not None else \
        (access.retries if access else 1)
    if cred is not None:
        community = cred.community.get_secret_value() if cred.community else ""
        version, v3 = cred.version, cred.v3()
    else:
        assert access is not None
        community, version, v3 = access.community.get_secret_value(), "2c", None
    return SnmpTarget(device_id=d.id, name=d.hostname, address=d.mgmt_address, port=port,
                      community=community, timeout_s=timeout, retries=retries,
                      version=version, v3=v3)


def build_poll_plan(
    devices: Sequence[DeviceRecord], links: Sequence[LinkRecord],
    snmp_profiles: Mapping[str, SnmpProfile], profiles: Profiles | None = None,
) -> PollPlan:
    """Targets for every device with a usable SNMP profile; others are listed in ``skipped``.

    With ``profiles``, each device gets the first matching class: its groups, discovery
    period and budget, and its credentials (the class's, else the settings' SNMP profile named
    by the device's ``snmp_profile``, else the profile file's credentials of that name). Port,
    timeout and retries come from the credentials when set there, else the settings' profile.
    """
    plan = PollPlan(targets=[])
    for d in devices:
        if d.snmp_profile is None:
            continue
        access = snmp_profiles.get(d.snmp_profile)
        cls_name = profiles.classify(d.role, d.vendor, d.platform) if profiles else None
        cred_name: str | None = None
        cred: Credential | None = None
        if profiles is not None:
            cls = profiles.file.classes[cls_name] if cls_name else None
            # the settings' snmp_profiles entry wins over a profile-file credential of the
            # same name (an operator's explicit setting is never silently replaced)
            cred_name = cls.credentials if cls and cls.credentials else (
                d.snmp_profile if access is None and d.snmp_profile in profiles.file.credentials
                else None)
            cred = profiles.file.credentials[cred_name] if cred_name else None
        target = _target(d, access, cred_name, cred)
        if isinstance(target, str):
            plan.skipped.append(target)
            continue
        plan.targets.append(target)
        if profiles is not None:
            plan.profiles[d.id] = profiles.device_profile(cls_name, d.vendor)
        tags = {"device": d.hostname, "site": d.site_code, "role": d.role}
        if d.district_code:
            tags["district"] = d.district_code
        if d.commune_code:
            tags["commune"] = d.commune_code
        plan.device_tags[d.id] = tags
    for r in links:
        plan.if_tags.setdefault(r.a_device_id, {})[r.a_ifindex] = {"link": str(r.id), "end": "a"}
        plan.if_tags.setdefault(r.z_device_id, {})[r.z_ifindex] = {"link": str(r.id), "end": "z"}
    for msg in plan.skipped:
        log.warning("not polled: %s", msg)
    return plan

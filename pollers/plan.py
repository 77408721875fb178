"""The poll plan: inventory devices + SNMP profiles -> targets and the tags of their samples."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from config.settings import SnmpProfile
from inventory.queries import DeviceRecord, LinkRecord
from pollers.types import SnmpTarget

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PollPlan:
    """What to poll and how to tag it. Tags are stable codes, never display names."""

    targets: list[SnmpTarget]
    device_tags: dict[int, dict[str, str]] = field(default_factory=dict)
    if_tags: dict[int, dict[int, dict[str, str]]] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)


def build_poll_plan(
    devices: Sequence[DeviceRecord], links: Sequence[LinkRecord],
    profiles: Mapping[str, SnmpProfile],
) -> PollPlan:
    """Targets for every device with a known SNMP profile; others are listed in ``skipped``."""
    plan = PollPlan(targets=[])
    for d in devices:
        if d.snmp_profile is None:
            continue
        prof = profiles.get(d.snmp_profile)
        if prof is None:
            plan.skipped.append(f"{d.hostname}: unknown SNMP profile {d.snmp_profile!r}")
            continue
        plan.targets.append(SnmpTarget(
            device_id=d.id, name=d.hostname, address=d.mgmt_address, port=prof.port,
            community=prof.community.get_secret_value(), timeout_s=prof.timeout_s,
            retries=prof.retries))
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

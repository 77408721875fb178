"""What changed in a cycle: each link's state now against the previous cycle (pure).

The live-update stream (``GET /api/v1/stream``) sends these changes once per poll cycle so
wall screens stop re-reading full lists.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from provnet.inventory.queries import LinkRecord
from provnet.pollers.live import LiveState, link_health

LinkState = tuple[str, str]  # (status, reason_code)


def link_states(links: Iterable[LinkRecord], live: LiveState, now: float,
                stale_s: float) -> dict[int, LinkState]:
    """Every link's (status, reason_code) now, derived as ``/api/v1/links`` does."""
    out: dict[int, LinkState] = {}
    for rec in links:
        h = link_health(live.interface(rec.a_device_id, rec.a_ifindex),
                        live.interface(rec.z_device_id, rec.z_ifindex),
                        live.device(rec.a_device_id), live.device(rec.z_device_id),
                        rec.capacity_mbps, now, stale_s)
        out[rec.id] = (h.status, h.reason_code)
    return out


def link_changes(before: Mapping[int, LinkState], now: Mapping[int, LinkState]
                 ) -> list[dict[str, Any]]:
    """Links whose state differs from ``before`` (new links included, gone ones as
    ``status: None``), sorted by id."""
    out = [{"link_id": i, "status": st, "reason_code": code,
            "was": before[i][0] if i in before else None}
           for i, (st, code) in sorted(now.items()) if before.get(i) != (st, code)]
    out += [{"link_id": i, "status": None, "reason_code": None, "was": before[i][0]}
            for i in sorted(set(before) - set(now))]
    return out

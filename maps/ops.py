"""The province map as an operations view: which communes an open incident cuts off, and the
live status of the routers in the popups.

:func:`cut_off_communes` is pure (incidents and the device -> commune table in, one row per
commune out); :func:`read_cut_offs` reads the open incidents from the store. A commune is
"cut off" (bị cô lập) when a device of one of its sites is in an open incident's ``cut_off``
set or is the incident's unreachable root device.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from provnet.alerts.causes import incident_texts
from provnet.alerts.incidents import OPEN
from provnet.alerts.model import Incident
from provnet.inventory import queries
from provnet.inventory.store import Store
from provnet.maps.geo_data import UnitGeo
from provnet.pollers.icmp import device_status_of
from provnet.pollers.live import LiveState

DEGRADED_LOSS_PCT = 25.0  # the ICMP settings' default: the map shows the API's status word


@dataclass(frozen=True)
class OpenIncident:
    """What the map needs of one open incident."""

    id: int
    status: str
    severity: str
    title_vi: str
    title_en: str
    started_at: float
    devices: frozenset[int]  # cut-off devices, plus the root device when it is one


def incident_devices(group_key: str, labels: Mapping[str, Any] | None) -> frozenset[int]:
    """Cut-off device ids of an incident (its ``cut_off`` label) plus a root device."""
    out = {int(d) for d in (labels or {}).get("cut_off", []) if str(d).isdigit()}
    kind, _, ident = group_key.partition(":")
    if kind == "device" and ident.isdigit():
        out.add(int(ident))
    return frozenset(out)


def cut_off_communes(incidents: Sequence[OpenIncident], commune_of: Mapping[int, str | None],
                     units: Iterable[UnitGeo] | None = None) -> dict[str, dict[str, Any]]:
    """commune code -> the oldest open incident cutting it off and every incident id.

    ``commune_of`` maps device id -> legacy commune code; with ``units`` (2025 units) the
    legacy codes are folded into the units that hold them.
    """
    fold: dict[str, list[str]] = {}
    if units is not None:
        for u in units:
            for old in u.legacy_codes:
                fold.setdefault(old, []).append(u.code)
    out: dict[str, dict[str, Any]] = {}
    for inc in sorted(incidents, key=lambda i: i.id):
        for d in sorted(inc.devices):
            legacy = commune_of.get(d)
            if legacy is None:
                continue
            for code in (fold.get(legacy, []) if units is not None else [legacy]):
                row = out.setdefault(code, {
                    "incident_id": inc.id, "status": inc.status, "severity": inc.severity,
                    "title_vi": inc.title_vi, "title_en": inc.title_en,
                    "started_at": inc.started_at, "incidents": [], "devices": 0})
                if inc.id not in row["incidents"]:
                    row["incidents"].append(inc.id)
                row["devices"] += 1
    return out


def read_open_incidents(store: Store) -> list[OpenIncident]:
    """Open and acknowledged incidents (none when the alert tables do not exist)."""
    try:
        with store.session() as s:
            rows = s.scalars(select(Incident).where(Incident.status.in_(OPEN))
                             .order_by(Incident.id)).all()
            out = []
            for inc in rows:
                texts = incident_texts(inc.labels, inc.title, inc.root_cause)
                out.append(OpenIncident(inc.id, inc.status, inc.severity, texts.title["vi"],
                                        texts.title["en"], inc.started_at,
                                        incident_devices(inc.group_key, inc.labels)))
            return out
    except SQLAlchemyError:  # alerting never set up on this database: nothing is cut off
        return []


def device_communes(store: Store) -> dict[int, str | None]:
    """device id -> legacy commune code of its site."""
    with store.session() as s:
        return {d.id: d.commune_code for d in queries.devices(s)}


def with_device_status(features: Sequence[dict[str, Any]], live: LiveState
                       ) -> list[dict[str, Any]]:
    """Router site features (cached, shared) copied with each device's live status word."""
    out = []
    for f in features:
        devices = [{**d, "status": device_status_of(live.device(int(d["id"])),
                                                    DEGRADED_LOSS_PCT)}
                   for d in f["properties"].get("devices", []) if "id" in d]
        out.append({**f, "properties": {**f["properties"], "devices": devices}})
    return out

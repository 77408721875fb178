"""Operator actions on one device: poll it now, back its configuration up now.

Both are ``operator`` routes (``api/roles.py``), limited to the caller's districts, and
audited (``device.poll``, ``config.backup``: who, when, from where, the outcome). The work is
done by the service (``provnet/features/actions.py``) behind the :class:`DeviceActions`
protocol: a poll goes through the normal data path (live state, rates, InfluxDB, alerts); a
backup stores a new configuration version when the configuration changed. A device that does
not answer is an answer (``ok: false`` with the reason), not an error status.
"""

from __future__ import annotations

from typing import Any, Protocol

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel

from provnet.api.auth import author, require_district
from provnet.api.params import DbId
from provnet.inventory import audit
from provnet.inventory.store import Store


class ActionRefused(Exception):
    """The action cannot run for this device: ``status`` (404, 409) and the reason."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status, self.reason = status, reason


class DeviceActions(Protocol):
    """What the service does for the routes (raises :class:`ActionRefused`)."""

    def district_of(self, device_id: int) -> tuple[str, str | None]:
        """(host name, district code) of a device; ActionRefused 404 when there is none."""
        ...

    async def poll(self, device_id: int) -> dict[str, Any]:
        """Poll the device now through the normal data path; the outcome."""
        ...

    async def backup(self, device_id: int) -> dict[str, Any]:
        """Fetch and store the device's running configuration now; the outcome."""
        ...


class PollOutcome(BaseModel):
    """The outcome of one poll made on request."""

    device_id: int
    name: str
    ok: bool
    error: str | None = None
    error_kind: str | None = None
    polled_at: float
    duration_s: float
    interfaces: int
    interfaces_up: int
    interfaces_down: int
    sys_uptime_ticks: int | None = None


class BackupOutcome(BaseModel):
    """The outcome of one configuration backup made on request."""

    device_id: int
    name: str
    ok: bool
    error: str | None = None
    error_kind: str | None = None
    duration_s: float
    changed: bool
    first: bool
    version_id: int | None = None
    lines_added: int = 0
    lines_removed: int = 0


REFUSALS: dict[int | str, dict[str, Any]] = {
    404: {"description": "no such device"},
    409: {"description": "the action cannot run for this device (the reason says why)"}}


def actions_router(actions: DeviceActions, store: Store) -> APIRouter:
    """``POST /api/v1/devices/{id}/poll`` and ``POST /api/v1/devices/{id}/config/backup``."""
    r = APIRouter(prefix="/api/v1", tags=["actions"])

    def _check(request: Request, device_id: int) -> str:
        try:
            name, district = actions.district_of(device_id)
        except ActionRefused as exc:
            raise HTTPException(exc.status, exc.reason) from exc
        require_district(request, district)
        return name

    def _audit(request: Request, action: str, name: str, outcome: dict[str, Any]) -> None:
        with store.session() as s:
            audit.record(s, author(request), action, f"device {name}", None, outcome)

    @r.post("/devices/{device_id}/poll", response_model=PollOutcome, responses=REFUSALS)
    async def poll_now(device_id: DbId, request: Request) -> Any:
        """Poll this device now (SNMP, its profile): live state, rates, InfluxDB and alerts
        get the result like any scheduled poll's."""
        name = _check(request, device_id)
        try:
            out = await actions.poll(device_id)
        except ActionRefused as exc:
            raise HTTPException(exc.status, exc.reason) from exc
        _audit(request, "device.poll", name, out)
        return out

    @r.post("/devices/{device_id}/config/backup", response_model=BackupOutcome,
            responses=REFUSALS)
    async def backup_now(device_id: DbId, request: Request) -> Any:
        """Back this device's running configuration up now over SSH (scrubbed; a new
        version only when it changed)."""
        name = _check(request, device_id)
        try:
            out = await actions.backup(device_id)
        except ActionRefused as exc:
            raise HTTPException(exc.status, exc.reason) from exc
        _audit(request, "config.backup", name, out)
        return out

    return r

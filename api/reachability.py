"""``/api/v1/reachability``: each polled device's status from ICMP + SNMP (see pollers.icmp).

"unreachable" (nothing answers) and "snmp_not_answering" (the address answers ICMP, the agent
is silent) are told apart here. Mounted by :func:`pollers.icmp.attach_icmp`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Annotated, Literal, cast, get_args

from fastapi import APIRouter, HTTPException, Path, Query
from pydantic import BaseModel

from provnet.api.schemas import Page
from provnet.pollers.icmp import (
    DEGRADED,
    DOWN,
    SNMP_NOT_ANSWERING,
    UNKNOWN,
    UNREACHABLE,
    UP,
    IcmpState,
    device_status,
)
from provnet.pollers.live import LiveState
from provnet.pollers.types import SnmpTarget

Status = Literal["up", "degraded", "snmp_not_answering", "unreachable", "down", "unknown"]
assert {UP, DEGRADED, SNMP_NOT_ANSWERING, UNREACHABLE, DOWN, UNKNOWN} == set(get_args(Status))


class Reachability(BaseModel):
    """One device: the combined status and what it was derived from."""

    device_id: int
    device: str
    address: str
    status: Status
    snmp_ok: bool | None = None
    snmp_error: str | None = None
    last_poll: dt.datetime | None = None
    icmp_sent: int | None = None
    icmp_received: int | None = None
    icmp_loss_pct: float | None = None
    icmp_rtt_avg_ms: float | None = None
    icmp_time: dt.datetime | None = None


def _ts(t: float | None) -> dt.datetime | None:
    return dt.datetime.fromtimestamp(t, dt.UTC) if t is not None else None


def reachability(target: SnmpTarget, state: IcmpState, live: LiveState,
                 degraded_loss_pct: float) -> Reachability:
    """The status record of one device."""
    entry = state.get(target.device_id)
    dev = live.device(target.device_id)
    icmp = entry.reading if entry else None
    return Reachability(
        device_id=target.device_id, device=target.name, address=target.address,
        status=cast(Status, device_status(icmp, dev.ok if dev else None, degraded_loss_pct)),
        snmp_ok=dev.ok if dev else None, snmp_error=dev.error if dev else None,
        last_poll=_ts(dev.time if dev else None),
        icmp_sent=icmp.sent if icmp else None, icmp_received=icmp.received if icmp else None,
        icmp_loss_pct=icmp.loss_pct if icmp else None,
        icmp_rtt_avg_ms=icmp.rtt_avg_ms if icmp else None,
        icmp_time=_ts(entry.time if entry else None),
    )


def reachability_router(targets: Callable[[], Sequence[SnmpTarget]], state: IcmpState,
                        live: LiveState, degraded_loss_pct: float) -> APIRouter:
    """The router; ``targets()`` gives the polled devices (the poll plan's targets)."""
    router = APIRouter(prefix="/api/v1/reachability", tags=["health"])

    @router.get("", response_model=Page[Reachability])
    def list_reachability(
        status: Status | None = None,
        limit: Annotated[int, Query(ge=1, le=1000, description="page size")] = 200,
        offset: Annotated[int, Query(ge=0, description="items to skip")] = 0,
    ) -> Page[Reachability]:
        items = [reachability(t, state, live, degraded_loss_pct) for t in targets()]
        if status is not None:
            items = [i for i in items if i.status == status]
        return Page(total=len(items), limit=limit, offset=offset,
                    items=items[offset: offset + limit])

    @router.get("/{device_id}", response_model=Reachability,
                responses={404: {"description": "no polled device with this id"}})
    def one(device_id: Annotated[int, Path(ge=0, le=2**31)]) -> Reachability:
        for t in targets():
            if t.device_id == device_id:
                return reachability(t, state, live, degraded_loss_pct)
        raise HTTPException(404, f"no polled device with id {device_id}")

    return router

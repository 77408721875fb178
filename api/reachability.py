"""``/api/v1/reachability``: each polled device's status from ICMP + SNMP (see pollers.icmp).

"unreachable" (nothing answers) and "snmp_not_answering" (the address answers ICMP, the agent
is silent) are told apart here. The status is the one ``/api/v1/devices`` gives: both call
:func:`provnet.pollers.icmp.device_status_of` on the live state with the configured
``icmp.degraded_loss_pct``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Annotated, Literal, cast, get_args

from fastapi import APIRouter, HTTPException, Path, Request
from fastapi.responses import Response
from pydantic import BaseModel

from provnet.api.paging import IdCursor, Trimmed, cursor_page, fields_query, respond
from provnet.api.params import Limit, Offset
from provnet.api.schemas import Page
from provnet.api.scope import scope_of
from provnet.pollers.icmp import (
    DEGRADED,
    DOWN,
    SNMP_NOT_ANSWERING,
    UNKNOWN,
    UNREACHABLE,
    UP,
    device_status_of,
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


def reachability(target: SnmpTarget, live: LiveState, degraded_loss_pct: float) -> Reachability:
    """The status record of one device."""
    dev = live.device(target.device_id)
    polled = dev if dev is not None and dev.polled else None
    icmp = dev.icmp if dev else None
    return Reachability(
        device_id=target.device_id, device=target.name, address=target.address,
        status=cast(Status, device_status_of(dev, degraded_loss_pct)),
        snmp_ok=polled.ok if polled else None, snmp_error=polled.error if polled else None,
        last_poll=_ts(polled.time if polled else None),
        icmp_sent=icmp.sent if icmp else None, icmp_received=icmp.received if icmp else None,
        icmp_loss_pct=icmp.loss_pct if icmp else None,
        icmp_rtt_avg_ms=icmp.rtt_avg_ms if icmp else None,
        icmp_time=_ts(dev.icmp_time if dev else None),
    )


def reachability_router(targets: Callable[[], Sequence[SnmpTarget]], live: LiveState,
                        degraded_loss_pct: float) -> APIRouter:
    """The router; ``targets()`` gives the polled devices (the poll plan's targets)."""
    router = APIRouter(prefix="/api/v1/reachability", tags=["health"])

    @router.get("", response_model=Page[Reachability] | Trimmed)
    def list_reachability(
        request: Request,
        status: Status | None = None,
        limit: Limit = 200, offset: Offset = 0,
        cursor: IdCursor = None,
        fields: Annotated[str | None, fields_query(Reachability)] = None,
    ) -> Page[Reachability] | Response:
        scoped = scope_of(request)
        items = sorted((reachability(t, live, degraded_loss_pct) for t in targets()
                        if scoped is None or scoped.device(t.device_id)),
                       key=lambda i: i.device_id)
        if status is not None:
            items = [i for i in items if i.status == status]
        return respond(cursor_page(request, items, lambda i: i.device_id, limit, offset, cursor),
                       fields)

    @router.get("/{device_id}", response_model=Reachability,
                responses={404: {"description": "no polled device with this id"}})
    def one(device_id: Annotated[int, Path(ge=0, le=2**31 - 1)]) -> Reachability:
        for t in targets():
            if t.device_id == device_id:
                return reachability(t, live, degraded_loss_pct)
        raise HTTPException(404, f"no polled device with id {device_id}")

    return router

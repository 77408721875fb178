"""``GET /api/v1/overview``: the province at a glance (the home page shows the same figures,
from the same :meth:`provnet.maps.overview.OverviewSource.overview`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request

from provnet.api.auth import identity
from provnet.maps.overview import OverviewSource


def scope_of(request: Request) -> Callable[[str | None], bool] | None:
    """Which incident districts the caller sees (None: the whole province)."""
    who = identity(request)
    return who.sees if who is not None and who.districts else None


def overview_router(src: OverviewSource) -> APIRouter:
    """``/api/v1/overview``."""
    r = APIRouter(tags=["health"])

    @r.get("/api/v1/overview")
    def overview(request: Request) -> dict[str, Any]:
        """Communes (legacy, 2025 units) and agencies connected now, links up/down/degraded,
        availability this month, communes with fibre and 3G/4G/5G per operator at their
        centre, open incidents with their roots (a district-scoped caller: its districts'
        only); ``commune_states`` per commune code."""
        return src.overview(scope_of(request))

    return r

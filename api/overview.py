"""``GET /api/v1/overview``: the province at a glance (the home page shows the same figures,
from the same :meth:`provnet.maps.overview.OverviewSource.overview`)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from provnet.maps.overview import OverviewSource


def overview_router(src: OverviewSource) -> APIRouter:
    """``/api/v1/overview``."""
    r = APIRouter(tags=["health"])

    @r.get("/api/v1/overview")
    def overview() -> dict[str, Any]:
        """Communes (legacy, 2025 units) and agencies connected now, links up/down/degraded,
        availability this month, communes with fibre and 3G/4G/5G per operator at their
        centre, open incidents with their roots; ``commune_states`` per commune code."""
        return src.overview()

    return r

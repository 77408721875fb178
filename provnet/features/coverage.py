"""Coverage per commune attached to the service: the coverage API, and the computation in a
worker thread at start and every ``coverage.refresh_interval_s`` (incremental)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING

from provnet.api.coverage import coverage_router
from provnet.maps.coverage import CoverageService
from provnet.maps.errors import MapsError

if TYPE_CHECKING:
    from provnet.service import Service

log = logging.getLogger(__name__)


def attach(service: Service) -> CoverageService:
    """Register the coverage routes and the background computation; the coverage service
    is returned so the map pages can draw its layers."""
    svc = CoverageService(service.store, service.settings)
    service.routers.append(coverage_router(svc))
    if not service.settings.coverage.compute_on_start:
        return svc

    async def compute(stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await asyncio.to_thread(svc.refresh)
            except MapsError as exc:
                log.error("coverage computation failed: %s", exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), service.settings.coverage.refresh_interval_s)

    service.background.append(("coverage", compute))
    return svc

"""The map pages and the GeoJSON API attached to the service."""

from __future__ import annotations

from typing import TYPE_CHECKING

from provnet.api.pages import maps_routers
from provnet.maps.coverage import CoverageService
from provnet.maps.geojson import MapsContext

if TYPE_CHECKING:
    from provnet.service import Service


def attach(service: Service, coverage: CoverageService | None) -> MapsContext:
    """Serve ``/maps/...`` and ``/api/v1/geo/...``; ``coverage`` draws the coverage layers."""
    cfg = service.settings.poller
    ctx = MapsContext(service.store, service.live,
                      stale_after_s=cfg.interval_s * cfg.stale_after_intervals, coverage=coverage,
                      live_stream=True)  # attach_all always attaches the stream feature
    service.routers.extend(maps_routers(ctx))
    return ctx

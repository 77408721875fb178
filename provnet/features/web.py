"""The web face's own pages and routes (issue 15): search (``/api/v1/search``, ``/search``),
the home page and ``/api/v1/overview``, the incident console, the help pages."""

from __future__ import annotations

from typing import TYPE_CHECKING

from provnet.alerts.reports import availability
from provnet.api.overview import overview_router
from provnet.api.search import search_router
from provnet.api.ui.help import help_router
from provnet.api.ui.home import home_router
from provnet.api.ui.incidents import incidents_router
from provnet.api.ui.search_page import search_page_router
from provnet.maps.coverage import CoverageService
from provnet.maps.overview import Availability, OverviewSource

if TYPE_CHECKING:
    from provnet.features.history import HistoryHandle
    from provnet.service import Service


def month_availability(service: Service, hist: HistoryHandle) -> Availability:
    """The province line of the availability report (commune-seconds, as experienced)."""
    src = hist.source

    def read(start: int, end: int) -> float | None:
        with service.store.session() as s:
            rows = availability(s, src.readers[300], src.sources[300], "province", start, end,
                                hourly=(src.readers[3600], src.sources[3600]))
        value = rows[0]["availability_experienced"] if rows else None
        return float(value) if isinstance(value, int | float) else None
    return read


def attach(service: Service, coverage: CoverageService | None,
           hist: HistoryHandle | None) -> OverviewSource:
    """Serve search, home, overview, incident console and help; the returned source is told
    of inventory changes (``invalidate``)."""
    cfg = service.settings
    src = OverviewSource(
        service.store, service.live,
        stale_after_s=cfg.poller.interval_s * cfg.poller.stale_after_intervals,
        degraded_loss_pct=cfg.icmp.degraded_loss_pct, coverage=coverage,
        availability=month_availability(service, hist) if hist is not None else None)
    service.routers.append(search_router(service.store))
    service.routers.append(search_page_router(service.store))
    service.routers.append(overview_router(src))
    service.routers.append(home_router(src))
    service.routers.append(incidents_router(service.store, cfg.alerts.config_change_window_s))
    service.routers.append(help_router())
    return src

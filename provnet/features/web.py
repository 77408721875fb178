"""The web face's own pages and routes (issue 15): search (``/api/v1/search``, ``/search``),
the home page and ``/api/v1/overview``, the incident console, the help pages."""

from __future__ import annotations

from typing import TYPE_CHECKING

from provnet.api.search import search_router
from provnet.api.ui.search_page import search_page_router

if TYPE_CHECKING:
    from provnet.service import Service


def attach(service: Service) -> None:
    """Serve the search API and the web face's pages."""
    service.routers.append(search_router(service.store))
    service.routers.append(search_page_router(service.store))

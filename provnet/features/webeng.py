"""The engineer's pages (link, device, commune) and their routes (optics, availability)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from provnet.api.eng_api import eng_api_router
from provnet.api.ui.eng_pages import eng_pages_router
from provnet.inventory import queries
from provnet.inventory.queries import LinkRecord

if TYPE_CHECKING:
    from provnet.features.history import HistoryHandle
    from provnet.service import Service


def attach(service: Service, history: HistoryHandle | None) -> None:
    """Serve ``/links/{id}``, ``/devices/{id}``, ``/communes/{code}`` and the routes of
    ``api/eng_api.py`` (optics, one entity's availability; history parts need ``history``)."""

    def links() -> list[LinkRecord]:
        if history is not None:
            return history.links  # the list the history feature keeps, following the inventory
        with service.store.session() as s:
            return queries.links(s)

    service.routers.append(eng_pages_router(service.store, links))
    service.routers.append(eng_api_router(service.store, service.live,
                                          history.source if history else None, links))

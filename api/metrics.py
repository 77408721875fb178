"""``GET /metrics``: provnet's own figures in Prometheus exposition (``prometheus_client``)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest


def metrics_router(registry: CollectorRegistry) -> APIRouter:
    """The scrape route over one registry (the service's, never the global one)."""
    r = APIRouter(tags=["status"])

    @r.get("/metrics", response_class=Response)
    def metrics() -> Response:
        """Every ``provnet_*`` metric, base units (seconds, bytes)."""
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return r

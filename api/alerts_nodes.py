"""``GET /api/v1/alerts/nodes``: remote poller nodes as alerting sees them (issue 16).

Per node: its phase (``live``, ``silent``: "poller node unreachable", its devices unknown;
``catching_up``: its backlog is being evaluated, its incidents held), its watermark (the
newest event time evaluated), the newest event time received, how far the watermark is behind
the centre's clock, its devices and the event times rejected (``future``, ``expired``,
``reordered``). The data comes from ``alerts/eventfeed.py`` ``NodeFeed.status()``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field


class PollerNode(BaseModel):
    """One remote poller node."""

    node: str
    phase: Literal["live", "silent", "catching_up"]
    watermark: float | None = Field(description="newest event time evaluated (epoch s)")
    received: float | None = Field(description="newest event time received (epoch s)")
    lag_s: float | None = Field(description="how far the watermark is behind the centre")
    devices: int
    rejected: dict[str, int] = Field(description="rejected event times by reason")


class PollerNodes(BaseModel):
    """Every remote poller node, and what their blindness hides."""

    nodes: list[PollerNode]
    unknown_devices: list[int] = Field(description="devices of nodes not live: unknown")
    screened: int = Field(description="local observations dropped about unknown devices")


def poller_nodes(status: Mapping[str, Any]) -> PollerNodes:
    """``NodeFeed.status()`` as the answer."""
    rejected = status.get("rejected", {})
    nodes = [PollerNode(node=name, rejected=rejected.get(name, {}), **row)
             for name, row in sorted(status.get("nodes", {}).items())]
    return PollerNodes(nodes=nodes, unknown_devices=list(status.get("unknown_devices", [])),
                       screened=int(status.get("screened", 0)))


def nodes_router(status: Callable[[], Mapping[str, Any]]) -> APIRouter:
    """The route over ``status`` (``NodeFeed.status``)."""
    r = APIRouter(prefix="/api/v1/alerts", tags=["alerts"])

    @r.get("/nodes", response_model=PollerNodes)
    def nodes() -> PollerNodes:
        """Remote poller nodes: phase, watermark, lag, devices, rejected event times."""
        return poller_nodes(status())

    return r

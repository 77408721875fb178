"""``netbox:`` settings: NetBox as the inventory's source of truth, synced by the service."""

from __future__ import annotations

from pydantic import Field

from provnet.config.base import Strict


class NetboxSettings(Strict):
    """``netbox:`` section. With ``url`` set, ``provnet serve`` syncs every ``interval_s``."""

    url: str | None = None
    #: environment variable holding the API token (the token itself is never in the file)
    token_env: str = "NETBOX_TOKEN"
    interval_s: float = Field(default=300.0, ge=10)
    #: NetBox filters for sites, devices and circuits, e.g. {tag: provnet}
    filters: dict[str, str] = Field(default_factory=dict)

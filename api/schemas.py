"""Response models (they make the OpenAPI document at /docs)."""

from __future__ import annotations

import datetime as dt
from typing import Generic, TypeVar

from pydantic import BaseModel, Field

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """A page of a list: ``items`` plus the total before paging."""

    total: int
    limit: int
    offset: int
    items: list[T]
    #: path and query of the next page (by cursor), null on the last page (``api/paging.py``)
    next: str | None = None


class InfluxHealth(BaseModel):
    """InfluxDB reachability."""

    ok: bool
    url: str | None
    version: str | None
    error: str | None


class Health(BaseModel):
    """provnet and InfluxDB status."""

    status: str
    version: str
    uptime_s: float
    influxdb: InfluxHealth
    poller: dict[str, float | int | str | None]


class Commune(BaseModel):
    """A commune-level administrative unit."""

    code: str
    name: str
    unit_type: str
    generation: str
    district_code: str | None
    district_name: str | None
    lat: float | None
    lon: float | None
    area_km2: float | None
    boundary_synthetic: bool


class LinkEnd(BaseModel):
    """One end of a link."""

    device_id: int
    device: str
    ifindex: int
    ifname: str
    site_code: str
    site_name: str
    oper_status: int | None


class LinkHealthOut(BaseModel):
    """Live health of one link."""

    link_id: int
    status: str
    reason: str = Field(description="why, in English")
    reason_code: str = Field("", description="stable code of the reason (up, down_a, ...)")
    reason_vi: str | None = Field(None, description="why, in Vietnamese")
    in_bps: float | None
    out_bps: float | None
    utilisation_pct: float | None
    in_errors_ps: float | None
    out_errors_ps: float | None
    counter_reset: bool
    last_polled: dt.datetime | None


class Link(BaseModel):
    """A link with its ends and live health."""

    id: int
    kind: str
    capacity_mbps: int
    provider: str | None
    circuit_id: str | None
    commune_code: str | None
    district_code: str | None
    a: LinkEnd
    z: LinkEnd
    health: LinkHealthOut


class DeviceHealth(BaseModel):
    """Latest device health: CPU/memory/temperature (SNMP), optics summary, ICMP."""

    time: dt.datetime | None = None
    uptime_s: float | None = None
    cpu_pct: float | None = None
    mem_used_pct: float | None = None
    temperature_c: float | None = None
    optics: int = 0  # transceivers read
    worst_rx_dbm: float | None = None  # lowest Rx power among them
    icmp_loss_pct: float | None = None
    icmp_rtt_avg_ms: float | None = None
    icmp_time: dt.datetime | None = None


class Device(BaseModel):
    """A device with its latest poll outcome."""

    id: int
    hostname: str
    role: str
    vendor: str
    platform: str
    mgmt_address: str
    site_code: str
    district_code: str | None
    commune_code: str | None
    last_poll: dt.datetime | None
    poll_ok: bool | None
    poll_error: str | None
    poll_duration_ms: float | None
    poll_error_kind: str | None = None  # timeout | auth | protocol | unreachable | internal
    #: ICMP + SNMP: up | degraded | snmp_not_answering | unreachable | down | unknown
    status: str = "unknown"
    health: DeviceHealth | None = None

"""Live health routes: service status, links (with filters), one link's health, devices."""

from __future__ import annotations

import datetime as dt
import time
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Path, Query, Request
from fastapi.responses import Response

from provnet.api import schemas
from provnet.api.context import ApiContext
from provnet.api.paging import IdCursor, Trimmed, cursor_page, fields_query, respond
from provnet.api.params import Limit, Offset
from provnet.inventory.queries import DeviceRecord, LinkRecord
from provnet.pollers.icmp import device_status_of
from provnet.pollers.live import DeviceState, link_health
from provnet.pollers.reasons import reason_text

VERSION = "0.1.0"
Code = Annotated[str | None, Query(max_length=100)]


def ts(t: float | None) -> dt.datetime | None:
    """Epoch seconds -> aware UTC datetime (None stays None)."""
    return dt.datetime.fromtimestamp(t, dt.UTC) if t is not None else None


def _device_health(st: DeviceState) -> schemas.DeviceHealth:
    h, icmp = st.health, st.icmp
    rx = [o.rx_dbm for o in st.optics if o.rx_dbm is not None]
    return schemas.DeviceHealth(
        time=ts(st.health_time), uptime_s=h.uptime_s if h else None,
        cpu_pct=h.cpu_pct if h else None, mem_used_pct=h.mem_used_pct if h else None,
        temperature_c=h.temperature_c if h else None, optics=len(st.optics),
        worst_rx_dbm=min(rx) if rx else None,
        icmp_loss_pct=icmp.loss_pct if icmp else None,
        icmp_rtt_avg_ms=icmp.rtt_avg_ms if icmp else None, icmp_time=ts(st.icmp_time))


def _health(ctx: ApiContext, rec: LinkRecord, now: float) -> schemas.LinkHealthOut:
    live = ctx.live
    h = link_health(live.interface(rec.a_device_id, rec.a_ifindex),
                    live.interface(rec.z_device_id, rec.z_ifindex),
                    live.device(rec.a_device_id), live.device(rec.z_device_id),
                    rec.capacity_mbps, now, ctx.stale_after_s)
    return schemas.LinkHealthOut(
        link_id=rec.id, status=h.status, reason=h.reason, reason_code=h.reason_code,
        reason_vi=reason_text(h.reason_code, "vi", h.reason_detail) if h.reason_code else None,
        in_bps=h.in_bps, out_bps=h.out_bps,
        utilisation_pct=h.utilisation_pct, in_errors_ps=h.in_errors_ps,
        out_errors_ps=h.out_errors_ps, counter_reset=h.counter_reset,
        last_polled=ts(h.last_polled))


def _link(rec: LinkRecord, health: schemas.LinkHealthOut, ctx: ApiContext) -> schemas.Link:
    def end(side: str) -> schemas.LinkEnd:
        dev_id, ifindex = getattr(rec, f"{side}_device_id"), getattr(rec, f"{side}_ifindex")
        st = ctx.live.interface(dev_id, ifindex)
        return schemas.LinkEnd(
            device_id=dev_id, device=getattr(rec, f"{side}_device"), ifindex=ifindex,
            ifname=getattr(rec, f"{side}_ifname"), site_code=getattr(rec, f"{side}_site_code"),
            site_name=getattr(rec, f"{side}_site_name"),
            oper_status=st.sample.oper_status if st else None)

    return schemas.Link(id=rec.id, kind=rec.kind, capacity_mbps=rec.capacity_mbps,
                        provider=rec.provider, circuit_id=rec.circuit_id,
                        commune_code=rec.commune_code, district_code=rec.district_code,
                        a=end("a"), z=end("z"), health=health)


def link_matches(rec: LinkRecord, *, commune: str | None = None, district: str | None = None,
                 device: str | None = None, site: str | None = None,
                 kind: str | None = None) -> bool:
    """Inventory filters of ``/api/v1/links``; ``device`` and ``site`` match either end."""
    return ((commune is None or rec.commune_code == commune)
            and (district is None or rec.district_code == district)
            and (kind is None or rec.kind == kind)
            and (device is None or device in (rec.a_device, rec.z_device))
            and (site is None or site in (rec.a_site_code, rec.z_site_code)))


def _device_out(d: DeviceRecord, seen: DeviceState | None,
                degraded_loss_pct: float) -> schemas.Device:
    st = seen if seen is not None and seen.polled else None  # None: not polled yet
    return schemas.Device(
        id=d.id, hostname=d.hostname, role=d.role, vendor=d.vendor, platform=d.platform,
        mgmt_address=d.mgmt_address, site_code=d.site_code,
        district_code=d.district_code, commune_code=d.commune_code,
        last_poll=ts(st.time if st else None), poll_ok=st.ok if st else None,
        poll_error=st.error if st else None,
        poll_duration_ms=round(st.duration_s * 1000, 2) if st else None,
        poll_error_kind=st.error_kind if st else None,
        status=device_status_of(seen, degraded_loss_pct),
        health=_device_health(seen) if seen else None)


def health_router(ctx: ApiContext) -> APIRouter:
    """``/api/v1/health``, ``/api/v1/links``, ``/api/v1/links/{id}/health``, ``/api/v1/devices``."""
    r = APIRouter(tags=["health"])

    @r.get("/api/v1/health", response_model=schemas.Health, tags=["status"])
    def health() -> schemas.Health:
        st = ctx.influx.ping() if ctx.influx is not None else None
        influx = schemas.InfluxHealth(ok=bool(st and st.ok), url=ctx.influx_url,
                                      version=getattr(st, "version", None),
                                      error=getattr(st, "error", None) if st else "not configured")
        return schemas.Health(status="ok" if influx.ok else "degraded", version=VERSION,
                              uptime_s=round(time.time() - ctx.started, 1), influxdb=influx,
                              poller={**ctx.poller_stats(), **ctx.cache_figures(),
                                        **ctx.front_figures()})

    @r.get("/api/v1/links", response_model=schemas.Page[schemas.Link] | Trimmed)
    def links(
        request: Request,
        status: Literal["up", "down", "unknown"] | None = None,
        commune: Annotated[str | None, Query(max_length=10,
                                             description="commune code (downstream end)")] = None,
        district: Annotated[str | None, Query(max_length=10, description="district code")] = None,
        device: Annotated[str | None, Query(max_length=100,
                                            description="hostname of either end")] = None,
        site: Annotated[str | None, Query(max_length=100,
                                          description="site code of either end")] = None,
        kind: Code = None, limit: Limit = 200, offset: Offset = 0,
        cursor: IdCursor = None,
        fields: Annotated[str | None, fields_query(schemas.Link)] = None,
    ) -> schemas.Page[schemas.Link] | Response:
        now = time.time()
        out = []
        for rec in ctx.links():
            if not link_matches(rec, commune=commune, district=district, device=device,
                                site=site, kind=kind):
                continue
            h = _health(ctx, rec, now)
            if status and h.status != status:
                continue
            out.append(_link(rec, h, ctx))
        return respond(cursor_page(request, out, lambda x: x.id, limit, offset, cursor), fields)

    @r.get("/api/v1/links/{link_id}/health", response_model=schemas.LinkHealthOut,
           responses={404: {"description": "no such link"}})
    def link_health_one(link_id: Annotated[int, Path(ge=0, le=2**31 - 1)],
                        ) -> schemas.LinkHealthOut:
        rec = next((r for r in ctx.links() if r.id == link_id), None)
        if rec is None:
            raise HTTPException(404, f"no link with id {link_id}")
        return _health(ctx, rec, time.time())

    @r.get("/api/v1/devices", response_model=schemas.Page[schemas.Device] | Trimmed)
    def devices(
        request: Request,
        role: Code = None, poll_ok: bool | None = None,
        district: Annotated[str | None, Query(max_length=10, description="district code")] = None,
        commune: Annotated[str | None, Query(max_length=10, description="commune code")] = None,
        site: Annotated[str | None, Query(max_length=100, description="site code")] = None,
        limit: Limit = 200, offset: Offset = 0,
        cursor: IdCursor = None,
        fields: Annotated[str | None, fields_query(schemas.Device)] = None,
    ) -> schemas.Page[schemas.Device] | Response:
        recs = ctx.devices()
        states = ctx.live.devices()
        out = []
        for d in recs:
            seen = states.get(d.id)
            polled = seen if seen is not None and seen.polled else None
            if ((role and d.role != role) or (district and d.district_code != district)
                    or (commune and d.commune_code != commune) or (site and d.site_code != site)
                    or (poll_ok is not None and (polled is None or polled.ok != poll_ok))):
                continue
            out.append(_device_out(d, seen, ctx.degraded_loss_pct))
        return respond(cursor_page(request, out, lambda x: x.id, limit, offset, cursor), fields)

    return r

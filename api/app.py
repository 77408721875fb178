"""FastAPI app factory: JSON API under /api/v1, OpenAPI at /docs. 4xx with a reason, never 500."""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Sequence
from dataclasses import asdict
from typing import Annotated, Literal

from fastapi import APIRouter, FastAPI, HTTPException, Query, Request
from fastapi.responses import JSONResponse
from fastapi_offline import FastAPIOffline

from provnet.api import schemas
from provnet.api.context import ApiContext
from provnet.inventory import queries
from provnet.inventory.queries import LinkRecord
from provnet.pollers.icmp import device_status
from provnet.pollers.live import DeviceState, link_health

log = logging.getLogger(__name__)
VERSION = "0.1.0"
Limit = Annotated[int, Query(ge=1, le=1000, description="page size")]
Offset = Annotated[int, Query(ge=0, description="items to skip")]


def _ts(t: float | None) -> dt.datetime | None:
    return dt.datetime.fromtimestamp(t, dt.UTC) if t is not None else None


def _device_health(st: DeviceState) -> schemas.DeviceHealth:
    h, icmp = st.health, st.icmp
    rx = [o.rx_dbm for o in st.optics if o.rx_dbm is not None]
    return schemas.DeviceHealth(
        time=_ts(st.health_time), uptime_s=h.uptime_s if h else None,
        cpu_pct=h.cpu_pct if h else None, mem_used_pct=h.mem_used_pct if h else None,
        temperature_c=h.temperature_c if h else None, optics=len(st.optics),
        worst_rx_dbm=min(rx) if rx else None,
        icmp_loss_pct=icmp.loss_pct if icmp else None,
        icmp_rtt_avg_ms=icmp.rtt_avg_ms if icmp else None, icmp_time=_ts(st.icmp_time))


def _health(ctx: ApiContext, rec: LinkRecord, now: float) -> schemas.LinkHealthOut:
    live = ctx.live
    h = link_health(live.interface(rec.a_device_id, rec.a_ifindex),
                    live.interface(rec.z_device_id, rec.z_ifindex),
                    live.device(rec.a_device_id), live.device(rec.z_device_id),
                    rec.capacity_mbps, now, ctx.stale_after_s)
    return schemas.LinkHealthOut(
        link_id=rec.id, status=h.status, reason=h.reason, in_bps=h.in_bps, out_bps=h.out_bps,
        utilisation_pct=h.utilisation_pct, in_errors_ps=h.in_errors_ps,
        out_errors_ps=h.out_errors_ps, counter_reset=h.counter_reset,
        last_polled=_ts(h.last_polled))


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


def create_app(ctx: ApiContext, routers: Sequence[APIRouter] = ()) -> FastAPI:
    """Build the app around one context; ``routers`` come from feature packages."""
    # FastAPIOffline serves the /docs assets itself: the provincial network has no CDN
    app: FastAPI = FastAPIOffline(
        title="provnet", version=VERSION,
        description="Inventory and live health of the provincial telecom network")

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s", request.url.path)
        return JSONResponse({"detail": f"internal error: {type(exc).__name__}"}, status_code=500)

    @app.get("/api/v1/health", response_model=schemas.Health, tags=["status"])
    def health() -> schemas.Health:
        st = ctx.influx.ping() if ctx.influx is not None else None
        influx = schemas.InfluxHealth(ok=bool(st and st.ok), url=ctx.influx_url,
                                      version=getattr(st, "version", None),
                                      error=getattr(st, "error", None) if st else "not configured")
        return schemas.Health(status="ok" if influx.ok else "degraded", version=VERSION,
                              uptime_s=round(time.time() - ctx.started, 1), influxdb=influx,
                              poller=ctx.poller_stats())

    @app.get("/api/v1/communes", response_model=schemas.Page[schemas.Commune], tags=["inventory"])
    def communes(
        district: Annotated[str | None, Query(description="district code, e.g. 891")] = None,
        q: Annotated[str | None, Query(max_length=100,
                                       description="name, with or without diacritics")] = None,
        generation: Literal["legacy", "2025"] = "legacy",
        limit: Limit = 50, offset: Offset = 0,
    ) -> schemas.Page[schemas.Commune]:
        with ctx.store.session() as s:
            total, rows = queries.communes(s, generation, district, q, limit, offset)
        items = [schemas.Commune(**asdict(r)) for r in rows]
        return schemas.Page(total=total, limit=limit, offset=offset, items=items)

    @app.get("/api/v1/links", response_model=schemas.Page[schemas.Link], tags=["health"])
    def links(
        status: Literal["up", "down", "unknown"] | None = None,
        district: Annotated[str | None, Query(description="district code")] = None,
        kind: str | None = None, limit: Limit = 200, offset: Offset = 0,
    ) -> schemas.Page[schemas.Link]:
        now = time.time()
        out = []
        for rec in ctx.links():
            if (district and rec.district_code != district) or (kind and rec.kind != kind):
                continue
            h = _health(ctx, rec, now)
            if status and h.status != status:
                continue
            out.append(_link(rec, h, ctx))
        return schemas.Page(total=len(out), limit=limit, offset=offset,
                            items=out[offset: offset + limit])

    @app.get("/api/v1/links/{link_id}/health", response_model=schemas.LinkHealthOut,
             tags=["health"], responses={404: {"description": "no such link"}})
    def link_health_one(link_id: int) -> schemas.LinkHealthOut:
        rec = next((r for r in ctx.links() if r.id == link_id), None)
        if rec is None:
            raise HTTPException(404, f"no link with id {link_id}")
        return _health(ctx, rec, time.time())

    @app.get("/api/v1/devices", response_model=schemas.Page[schemas.Device], tags=["health"])
    def devices(
        role: str | None = None, poll_ok: bool | None = None,
        limit: Limit = 200, offset: Offset = 0,
    ) -> schemas.Page[schemas.Device]:
        with ctx.store.session() as s:
            recs = queries.devices(s)
        states = ctx.live.devices()
        out = []
        for d in recs:
            seen = states.get(d.id)
            st = seen if seen is not None and seen.polled else None  # None: not polled yet
            if (role and d.role != role) or (poll_ok is not None and (st is None or
                                                                       st.ok != poll_ok)):
                continue
            out.append(schemas.Device(
                id=d.id, hostname=d.hostname, role=d.role, vendor=d.vendor, platform=d.platform,
                mgmt_address=d.mgmt_address, site_code=d.site_code,
                district_code=d.district_code, commune_code=d.commune_code,
                last_poll=_ts(st.time if st else None), poll_ok=st.ok if st else None,
                poll_error=st.error if st else None,
                poll_duration_ms=round(st.duration_s * 1000, 2) if st else None,
                poll_error_kind=st.error_kind if st else None,
                status=device_status(seen.icmp if seen else None, st.ok if st else None),
                health=_device_health(seen) if seen else None))
        return schemas.Page(total=len(out), limit=limit, offset=offset,
                            items=out[offset: offset + limit])

    for router in routers:
        app.include_router(router)
    return app

"""FastAPI app factory: JSON API under /api/v1, OpenAPI at /docs. 4xx with a reason, never 500.

Every route lives in this package, one router per area: :mod:`.inventory`, :mod:`.health`,
:mod:`.reachability`, :mod:`.alerts`, :mod:`.coverage`, :mod:`.geo`, :mod:`.pages`,
:mod:`.configs`. The first three are always mounted; features add theirs (``routers``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi_offline import FastAPIOffline

from provnet.api.auth import AuthGuard, secure_openapi
from provnet.api.cache import ResponseCache
from provnet.api.context import ApiContext
from provnet.api.guard import WILDCARDS, SurfaceGuard, declare_no_nul, default_allowed_hosts
from provnet.api.health import VERSION, health_router
from provnet.api.inventory import inventory_router
from provnet.api.params import reject_unknown_query
from provnet.api.reachability import reachability_router
from provnet.config.settings import ApiSettings

log = logging.getLogger(__name__)
Router = APIRouter  # what features hand to the composition root
__all__ = ["VERSION", "Router", "create_app"]


def create_app(ctx: ApiContext, routers: Sequence[APIRouter] = (),
               api: ApiSettings | None = None, bound_host: str | None = None) -> FastAPI:
    """Build the app around one context; ``routers`` come from the attached features.

    Every answer passes :class:`~provnet.api.guard.SurfaceGuard`. ``api`` (settings) gives
    the body limit and the allowed Host names; without it (in-process test clients) the
    Host is not checked. ``bound_host`` is the address actually listened on.
    """
    # FastAPIOffline serves the /docs assets itself: the provincial network has no CDN
    app: FastAPI = FastAPIOffline(
        title="provnet", version=VERSION,
        description="Inventory and live health of the provincial telecom network",
        dependencies=[Depends(reject_unknown_query)])

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s", request.url.path)
        return JSONResponse({"detail": f"internal error: {type(exc).__name__}"}, status_code=500)

    if ctx.request_observers:
        _observe_requests(app, ctx)
    app.include_router(health_router(ctx))
    app.include_router(inventory_router(ctx))
    app.include_router(reachability_router(ctx.targets, ctx.live, ctx.degraded_loss_pct))
    for router in routers:
        app.include_router(router)
    if ctx.cycles is not None:  # a polling service: answers materialised once per cycle
        app.add_middleware(ResponseCache, token=ctx.token, register=ctx,
                           inventory_token=ctx.inventory_token)
    if ctx.auth is not None:  # outside the cache: a cached answer only after the role check
        app.add_middleware(AuthGuard, auth=ctx.auth)
    # added last, so outermost: a bad Host or an oversized body never reaches the cache
    plain_openapi = app.openapi
    if ctx.auth is None:  # in-process test apps: no security declared, none enforced
        app.openapi = lambda: declare_no_nul(plain_openapi())  # type: ignore[method-assign]
    else:
        app.openapi = lambda: secure_openapi(  # type: ignore[method-assign]
            declare_no_nul(plain_openapi()))
    guard = api or ApiSettings()
    bound = guard.host if bound_host is None else bound_host
    app.add_middleware(
        SurfaceGuard, max_body_bytes=guard.max_body_bytes,
        allowed_hosts=None if api is None else default_allowed_hosts(bound, api.allowed_hosts),
        any_ip=bound in WILDCARDS and not guard.allowed_hosts)
    return app


def _observe_requests(app: FastAPI, ctx: ApiContext) -> None:
    """Tell the observers the duration of every request, by route template."""
    import time

    @app.middleware("http")
    async def _timed(request: Request, call_next: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return await call_next(request)
        finally:
            route = request.scope.get("route")
            path = getattr(route, "path", None) or "unmatched"
            for observe in ctx.request_observers:
                observe(path, request.method, time.perf_counter() - t0)

"""Every route's role, in one explicit table: (method, path template) -> role.

``viewer`` (planners) reads everything but secrets and configurations; ``operator`` (engineers,
responders) also reads configurations and acks, silences and schedules maintenance; ``admin``
also changes the inventory and reads the audit trail. ``public`` needs no identity (the login
page and static assets). ``/api/v1/health`` (minimal answer) and ``/metrics`` are opened to
anonymous callers only by the settings ``api.public_health`` / ``api.public_metrics``.
A route missing here is refused to everyone but admins, and the crawl test
(``tests/integration/test_roles_crawl.py``) fails for it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from starlette.routing import compile_path

V, O, A, P = "viewer", "operator", "admin", "public"  # noqa: E741

ROUTE_ROLES: Mapping[tuple[str, str], str] = {
    # status and the OpenAPI pages
    ("GET", "/api/v1/health"): V,
    ("GET", "/metrics"): V,
    ("GET", "/openapi.json"): V,
    ("GET", "/docs"): V,
    ("GET", "/docs/oauth2-redirect"): V,
    ("GET", "/redoc"): V,
    # live network and inventory reads
    ("GET", "/api/v1/links"): V,
    ("GET", "/api/v1/links/{link_id}/health"): V,
    ("GET", "/api/v1/devices"): V,
    ("GET", "/api/v1/communes"): V,
    ("GET", "/api/v1/reachability"): V,
    ("GET", "/api/v1/reachability/{device_id}"): V,
    ("GET", "/api/v1/stream"): V,
    ("GET", "/api/v1/stream/status"): V,
    ("GET", "/api/v1/inventory/{kind}"): V,
    ("GET", "/api/v1/inventory/{kind}/{key:path}"): V,
    # alerts: read as viewer, act as operator
    ("GET", "/api/v1/alerts/incidents"): V,
    ("GET", "/api/v1/alerts/incidents/{incident_id}"): V,
    ("POST", "/api/v1/alerts/incidents/{incident_id}/ack"): O,
    ("GET", "/api/v1/alerts/alerts"): V,
    ("GET", "/api/v1/alerts/nodes"): V,  # remote poller nodes (issue 16)
    ("GET", "/api/v1/alerts/silences"): V,
    ("POST", "/api/v1/alerts/silences"): O,
    ("DELETE", "/api/v1/alerts/silences/{silence_id}"): O,
    ("GET", "/api/v1/alerts/maintenance"): V,
    ("POST", "/api/v1/alerts/maintenance"): O,
    ("DELETE", "/api/v1/alerts/maintenance/{window_id}"): O,
    # coverage, geography, maps
    ("GET", "/api/v1/communes/{code}/coverage"): V,
    ("GET", "/api/v1/coverage/communes"): V,
    ("GET", "/api/v1/coverage/layers"): V,
    ("GET", "/api/v1/coverage/gaps"): V,
    ("GET", "/api/v1/coverage/infill"): V,
    ("GET", "/api/v1/geo/communes"): V,
    ("GET", "/api/v1/geo/boundaries"): V,
    ("GET", "/api/v1/geo/sites"): V,
    ("GET", "/api/v1/geo/routers"): V,
    ("GET", "/api/v1/geo/links"): V,
    ("GET", "/maps/province"): V,
    ("GET", "/maps/communes/{code}.svg"): V,
    ("GET", "/maps/communes/{code}"): V,
    # history
    ("GET", "/api/v1/communes/{code}/history"): V,
    ("GET", "/api/v1/devices/{device_id}/history"): V,
    ("GET", "/api/v1/devices/{device_id}/interfaces/{ifindex}/history"): V,
    ("GET", "/api/v1/links/{link_id}/history"): V,
    ("GET", "/api/v1/links/{link_id}/percentile"): V,
    ("GET", "/api/v1/links/{link_id}/timeline"): V,
    ("GET", "/api/v1/reports/availability"): V,
    # configurations (scrubbed, still not for planners)
    ("GET", "/api/v1/devices/{device_id}/config"): O,
    ("GET", "/api/v1/devices/{device_id}/config/diff"): O,
    ("GET", "/api/v1/devices/{device_id}/config/{version_id}"): O,
    ("GET", "/api/v1/config-changes"): O,
    # inventory writes and the audit trail
    ("POST", "/api/v1/inventory/{kind}"): A,
    ("PUT", "/api/v1/inventory/{kind}/{key:path}"): A,
    ("DELETE", "/api/v1/inventory/{kind}/{key:path}"): A,
    ("GET", "/api/v1/inventory-changes"): A,
    ("GET", "/api/v1/audit"): A,
    # login pages (issue 13, pages)
    ("GET", "/login"): P,
    ("POST", "/login"): P,
    ("POST", "/logout"): P,
}
#: mounted static files: no data, served to anyone (the login page needs none of them)
PUBLIC_PREFIXES = ("/maps/static/", "/static-offline-docs/")
#: scoped users: list routes whose ``district`` query parameter is forced to their district
DISTRICT_FILTERED = frozenset({
    "/api/v1/links", "/api/v1/devices", "/api/v1/alerts/incidents", "/api/v1/alerts/alerts",
    "/api/v1/inventory/{kind}"})
UNKNOWN = A  # a path in no table entry: admins only (404 for them)


class RoleTable:
    """Finds the role of a request: literal templates are tried before parameterised ones."""

    def __init__(self, roles: Mapping[tuple[str, str], str] = ROUTE_ROLES) -> None:
        order = sorted(roles.items(), key=lambda kv: (kv[0][1].count("{"), -len(kv[0][1])))
        self._rules: list[tuple[str, re.Pattern[str], str, str]] = [
            (method, compile_path(path)[0], path, role) for (method, path), role in order]

    def match(self, method: str, path: str) -> tuple[str | None, str]:
        """(template, role) of the request; (None, UNKNOWN) when no entry matches."""
        if path.startswith(PUBLIC_PREFIXES):
            return None, P
        method = "GET" if method == "HEAD" else method
        other: str | None = None
        for m, rx, template, role in self._rules:
            if rx.match(path):
                if m == method:
                    return template, role
                other = other or role
        # a known path with another method: at least a viewer (then FastAPI's 405)
        return None, V if other else UNKNOWN

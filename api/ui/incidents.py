"""The incident console: ``/incidents`` (list with filters) and ``/incidents/{id}`` (root cause
in Vietnamese and English, cut-off sites on a small map, timeline, configuration changes
before the start; acknowledge, silence and maintenance forms for operators, which post to the
``/api/v1/alerts/...`` routes). The incident itself is built by the alerts API's own
functions, so the page and ``GET /api/v1/alerts/incidents/{id}`` cannot disagree."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, Response

from provnet.alerts import ops
from provnet.alerts.changes import DEFAULT_WINDOW_S, recent_changes
from provnet.alerts.console import SINCE_S, ConsoleFilter, districts, list_incidents, site_places
from provnet.alerts.errors import AlertNotFound
from provnet.alerts.notify.codec import change_to_dict
from provnet.api import alert_schemas as sc
from provnet.api.alerts import _alert, _event, _incident
from provnet.api.auth import identity, require_district
from provnet.api.ui.render import LangQ, page_lang, render
from provnet.api.ui.words import WORDS
from provnet.inventory.store import Store
from provnet.maps.style import LEAFLET_JS

PAGE_SIZE = 50
SEVERITIES = ("critical", "major", "minor", "warning", "info")
StatusQ = Literal["", "open", "acknowledged", "resolved"]
SinceQ = Literal["", "1h", "24h", "7d", "30d"]
JS_WORDS = ("ack_done", "silence_done", "maint_done", "failed", "status_open",
            "status_acknowledged", "status_resolved", "inc_acked_by")


def incidents_router(store: Store, config_window_s: float = DEFAULT_WINDOW_S,
                     clock: Callable[[], float] = time.time) -> APIRouter:
    """``GET /incidents`` and ``GET /incidents/{incident_id}``."""
    r = APIRouter(tags=["pages"])

    @r.get("/incidents", response_class=HTMLResponse)
    def incident_list(
        request: Request, lang: LangQ = None, status: StatusQ = "",
        severity: Annotated[str, Query(max_length=10)] = "",
        district: Annotated[str, Query(max_length=10)] = "", since: SinceQ = "",
        cursor: Annotated[int | None, Query(ge=0, le=2**31 - 1)] = None,
    ) -> Response:
        """Incidents newest first, filtered by status, severity, district and start time."""
        f = ConsoleFilter(status or None, severity or None, district or None, since or None)
        with store.session() as s:
            total, rows = list_incidents(s, f, clock(), PAGE_SIZE + 1, cursor)
            items = [_incident(s, i) for i in rows[:PAGE_SIZE]]
            choices = districts(s)
        more = len(rows) > PAGE_SIZE
        names = dict(choices)
        return render(request, "incidents.html", lang, {
            "items": items, "total": total, "f": f, "districts": choices,
            "district_names": names, "severities": SEVERITIES, "sinces": tuple(SINCE_S),
            "next_cursor": items[-1].id if more and items else None,
            "page": {"filters": {"status": f.status, "severity": f.severity,
                                 "district": f.district, "since": f.since}}},
            tables=(WORDS,))

    @r.get("/incidents/{incident_id}", response_class=HTMLResponse,
           responses={404: {"description": "no such incident (HTML page with the reason)",
                            "content": {"text/html": {}}}})
    def incident_page(request: Request,
                      incident_id: Annotated[int, Path(ge=0, le=2**31 - 1)],
                      lang: LangQ = None) -> Response:
        """One incident: root cause, cut-off sites and map, timeline, configuration changes,
        and the operators' forms."""
        lang_ = page_lang(request, lang)
        with store.session() as s:
            try:
                inc = ops.get_incident(s, incident_id)
            except AlertNotFound:
                return render(request, "incident.html", lang, {"inc": None,
                              "missing_id": incident_id}, status_code=404, tables=(WORDS,))
            require_district(request, inc.district)
            base = _incident(s, inc)
            detail = sc.IncidentDetail(
                **base.model_dump(), alerts=[_alert(a) for a in ops.incident_alerts(s, inc.id)],
                history=[_event(e) for e in ops.history(s, inc.id)],
                config_changes=[sc.ConfigChangeOut(**change_to_dict(c)) for c in
                                recent_changes(s, inc, clock(), config_window_s)])
            codes = sorted({a.site_code for a in base.affected} | (
                {base.root_site_code} if base.root_site_code else set()))
            places = site_places(s, codes)
        # every affected site but the root: cut off, or alerting because it is (a child alert)
        cut = sorted({p.commune_code for p in places if p.commune_code
                      and p.code != base.root_site_code})
        who = identity(request)
        words = WORDS[lang_]
        page: dict[str, Any] = {
            "id": detail.id, "lang": lang_, "status": detail.status,
            "root_site_code": detail.root_site_code, "district": detail.district,
            "device": next((a.device for a in detail.alerts if a.device), None),
            "sites": [{"code": p.code, "name": p.name, "kind": p.kind, "lon": p.lon,
                       "lat": p.lat, "commune_code": p.commune_code} for p in places],
            "cut_communes": cut, "me": who.name if who else "web",
            "text": {k: v for k, v in words.items()
                     if k in JS_WORDS or k.startswith("ev_")}}
        return render(request, "incident.html", lang, {
            "inc": detail, "page": page, "cut_communes": cut,
            "leaflet_missing": not LEAFLET_JS.exists()}, tables=(WORDS,))

    return r


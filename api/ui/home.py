"""``/``: the province at a glance, from the same figures as ``GET /api/v1/overview``."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from provnet.api.overview import scope_of
from provnet.api.ui.render import LangQ, page_lang, render
from provnet.api.ui.words import WORDS
from provnet.maps.overview import OverviewSource
from provnet.maps.style import LEAFLET_JS


def home_router(src: OverviewSource) -> APIRouter:
    """``GET /``."""
    r = APIRouter(tags=["pages"])

    @r.get("/", response_class=HTMLResponse)
    def home(request: Request, lang: LangQ = None) -> Response:
        """Communes and agencies connected, links, availability, coverage, open incidents,
        a small province map; refreshed live from the event stream."""
        fig = src.overview(scope_of(request))
        lang_ = page_lang(request, lang)
        words = dict(WORDS[lang_])
        page = {"lang": lang_, "overview": fig, "text": {
            k: words[k] for k in ("ov_no_history", "ov_no_incidents", "status_open",
                                  "status_acknowledged", "ov_cut_off")}}
        return render(request, "home.html", lang, {
            "fig": fig, "page": page, "ov_time": dt.datetime.fromisoformat(fig["time"]),
            "leaflet_missing": not LEAFLET_JS.exists()},
            tables=(WORDS,))

    return r

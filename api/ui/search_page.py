"""``/search?q=``: the results page of the shell's search box (same answer as the API)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from provnet.api.search import run_search
from provnet.api.ui.render import LangQ, render
from provnet.api.ui.words import WORDS
from provnet.inventory.store import Store

PAGE_SIZE = 100


def search_page_router(store: Store) -> APIRouter:
    """``GET /search``."""
    r = APIRouter(tags=["pages"])

    @r.get("/search", response_class=HTMLResponse)
    def search_page(request: Request, q: Annotated[str, Query(max_length=100)] = "",
                    lang: LangQ = None) -> Response:
        """Search results grouped by kind; an empty query shows what may be typed."""
        page = run_search(store, q, PAGE_SIZE) if q.strip() else None
        return render(request, "search.html", lang, {"search_q": q, "found": page},
                      tables=(WORDS,))

    return r

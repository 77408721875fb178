"""``/help/{who}``: the user guides (``docs/guide/<who>.<lang>.md``) as pages of the site.

The guides ship inside the package (``maps/web/guide`` links to ``docs/guide``, and the
screenshots they show, ``maps/web/static/screenshots``, to ``docs/screenshots``; served at
``/help/screenshots/{name}``), so an installed wheel has them. Markdown is rendered with raw
HTML off; links between guides and to the screenshots are rewritten to the site's addresses.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Request
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, HTMLResponse, Response
from markdown_it import MarkdownIt

from provnet.api.ui.render import LangQ, page_lang, render
from provnet.api.ui.words import WORDS
from provnet.maps.style import WEB_DIR

GUIDE_DIR = WEB_DIR / "guide"
SHOTS_DIR = WEB_DIR / "static" / "screenshots"
Who = Literal["engineer", "planner", "responder"]
_MD = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")
_IMG = re.compile(r'src="(?:\.\./)?screenshots/')
ShotName = Annotated[str, PathParam(pattern=r"^[a-z0-9][a-z0-9-]{0,60}\.png$")]
_GUIDE_LINK = re.compile(r'href="(?:\./)?(engineer|planner|responder)\.(vi|en)\.md(#[^"]*)?"')


def guide_html(text: str) -> str:
    """Markdown -> HTML for the site: screenshots from the static files, links between the
    guides to ``/help/...``."""
    html = _MD.render(text)
    html = _IMG.sub('src="/help/screenshots/', html)
    html = _GUIDE_LINK.sub(lambda m: f'href="/help/{m[1]}?lang={m[2]}{m[3] or ""}"', html)
    return html


@lru_cache(maxsize=16)
def _load(path: Path, mtime: float) -> str:
    return guide_html(path.read_text(encoding="utf-8"))


def guide(who: str, lang: str) -> tuple[str, str] | None:
    """(language found, HTML) of one guide: the asked language, else the other one."""
    for code in (lang, "vi" if lang == "en" else "en"):
        path = GUIDE_DIR / f"{who}.{code}.md"
        if path.is_file():
            return code, _load(path, path.stat().st_mtime)
    return None


def help_router() -> APIRouter:
    """``GET /help/{who}``."""
    r = APIRouter(tags=["pages"])

    @r.get("/help/{who}", response_class=HTMLResponse,
           responses={404: {"description": "the guide is not written yet (HTML page)",
                            "content": {"text/html": {}}}})
    def help_page(request: Request, who: Who, lang: LangQ = None) -> Response:
        """The guide for engineers, planners or responders, in the page language."""
        found = guide(who, page_lang(request, lang))
        return render(request, "help.html", lang, {
            "who": who, "doc": found[1] if found else None,
            "doc_lang": found[0] if found else None}, status_code=200 if found else 404,
            tables=(WORDS,))

    @r.get("/help/screenshots/{name}", response_class=FileResponse,
           responses={200: {"content": {"image/png": {}}, "description": "a screenshot"},
                      404: {"description": "no such screenshot"}})
    def screenshot(name: ShotName) -> FileResponse:
        """A screenshot the guides show (``docs/screenshots``)."""
        path = SHOTS_DIR / name
        if not path.is_file():
            raise HTTPException(404, f"no screenshot {name}")
        return FileResponse(path, media_type="image/png")

    return r

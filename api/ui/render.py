"""One jinja2 environment and the context every page gets.

The language of a page: ``?lang=`` when given (and then remembered in the ``provnet_lang``
cookie for a year), else the cookie, else Vietnamese. Every page also gets the caller (name,
role, whether it may act), a CSRF token for its forms and ``fetch`` writes (the double-submit
cookie ``provnet_csrf`` of :mod:`provnet.api.login`), and filters that show times in
Asia/Ho_Chi_Minh.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Mapping
from typing import Annotated, Any, Literal
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import Query, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates

from provnet.api.auth import CSRF_COOKIE, identity
from provnet.api.ui.text import LANGS, TIME_ZONE, shell_text
from provnet.maps.style import TEMPLATES_DIR

LANG_COOKIE = "provnet_lang"
LANG_MAX_AGE_S = 365 * 86400
LangQ = Annotated[Literal["vi", "en"] | None,
                  Query(description="page language: vi (default) or en; remembered")]
TZ = ZoneInfo(TIME_ZONE)
templates = Jinja2Templates(directory=TEMPLATES_DIR)


def local_time(value: dt.datetime | float | int | None, fmt: str = "%d/%m/%Y %H:%M") -> str:
    """``value`` (aware datetime, naive UTC datetime or epoch seconds) in Viet Nam time."""
    if value is None:
        return ""
    if isinstance(value, int | float):
        value = dt.datetime.fromtimestamp(value, dt.UTC)
    elif value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(TZ).strftime(fmt)


templates.env.filters["localtime"] = local_time


def page_lang(request: Request, asked: str | None) -> str:
    """The page language: the query, then the remembered cookie, then Vietnamese."""
    if asked in LANGS:
        return str(asked)
    remembered = request.cookies.get(LANG_COOKIE)
    return remembered if remembered in LANGS else "vi"


def csrf_token(request: Request) -> str:
    """The caller's CSRF cookie value, or a new one (set on the answer by :func:`finish`)."""
    token = request.cookies.get(CSRF_COOKIE)
    if not token:
        token = request.state.__dict__.setdefault("provnet_csrf", secrets.token_urlsafe(24))
    return token


def shell_context(request: Request, lang: str,
                  *tables: Mapping[str, Mapping[str, str]]) -> dict[str, Any]:
    """What ``base.html`` needs: language, words, caller, CSRF token, current path."""
    who = identity(request)
    path = request.url.path
    return {
        "request": request, "lang": lang, "t": shell_text(lang, *tables),
        "me": who, "can_operate": who is None or who.may("operator"),
        "csrf": csrf_token(request), "here": path, "time_zone": TIME_ZONE,
        "nav_active": _section(path), "lang_next": _without_lang(request),
    }


def _without_lang(request: Request) -> str:
    """The current path and query minus ``lang`` (where the language switch returns to)."""
    query = urlencode([(k, v) for k, v in request.query_params.multi_items() if k != "lang"])
    return request.url.path + (f"?{query}" if query else "")


def _section(path: str) -> str:
    for prefix, name in (("/incidents", "incidents"), ("/maps", "map"), ("/reports", "reports"),
                         ("/help", "help")):
        if path.startswith(prefix):
            return name
    return "home" if path == "/" else ""


def finish(request: Request, response: Response, asked_lang: str | None) -> Response:
    """Remember an explicitly chosen language; hand out a CSRF cookie when there was none."""
    secure = request.url.scheme == "https"
    if asked_lang in LANGS and request.cookies.get(LANG_COOKIE) != asked_lang:
        response.set_cookie(LANG_COOKIE, str(asked_lang), max_age=LANG_MAX_AGE_S,
                            samesite="lax", secure=secure, path="/")
    fresh = request.state.__dict__.get("provnet_csrf")
    if fresh and not request.cookies.get(CSRF_COOKIE):
        response.set_cookie(CSRF_COOKIE, fresh, httponly=True, samesite="strict",
                            secure=secure, path="/")
    response.headers.setdefault("Cache-Control", "no-store")
    return response


def render(request: Request, template: str, asked_lang: str | None,
           context: Mapping[str, Any] | None = None, status_code: int = 200,
           tables: tuple[Mapping[str, Mapping[str, str]], ...] = ()) -> Response:
    """Render ``template`` in the page language with the shell context plus ``context``."""
    lang = page_lang(request, asked_lang)
    body: dict[str, Any] = shell_context(request, lang, *tables)
    body.update(context or {})
    response: HTMLResponse = templates.TemplateResponse(request, template, body,
                                                        status_code=status_code)
    return finish(request, response, asked_lang)

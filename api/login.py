"""``/login`` and ``/logout``: the pages' session cookie, CSRF-protected forms, lock-out.

The session cookie is HttpOnly, ``SameSite=Strict``, ``Secure`` when served over HTTPS.
CSRF: double submit; ``GET /login`` sets a random ``provnet_csrf`` cookie and puts the same
value in the form; a form POST (and any API write authenticated by the session cookie, checked
by ``AuthGuard`` through the ``X-CSRF-Token`` header) must carry it. Failed logins are
limited per user name and per address (``LoginLimiter``): beyond 5 in 15 minutes, 15 minutes
of lock-out (429). Vietnamese by default, English with ``?lang=en``.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from html import escape
from typing import Annotated, Any, Literal
from urllib.parse import parse_qs, quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from provnet.api.auth import CSRF_COOKIE, SESSION_COOKIE, author, identity
from provnet.inventory import audit
from provnet.inventory.auth import Authenticator, Identity
from provnet.inventory.auth_session import LoginLimiter, Sessions

TEXT = {
    "vi": {"title": "Đăng nhập provnet", "user": "Tên đăng nhập", "password": "Mật khẩu",
           "submit": "Đăng nhập", "bad": "Sai tên đăng nhập hoặc mật khẩu.",
           "locked": "Tạm khóa do đăng nhập sai nhiều lần; thử lại sau {s} giây.",
           "csrf": "Phiên biểu mẫu đã hết hạn; hãy thử lại.", "as": "Đang đăng nhập: {u}",
           "logout": "Đăng xuất", "other": "English"},
    "en": {"title": "provnet login", "user": "User name", "password": "Password",
           "submit": "Log in", "bad": "Wrong user name or password.",
           "locked": "Locked after repeated failures; try again in {s} seconds.",
           "csrf": "The form expired; please try again.", "as": "Logged in as {u}",
           "logout": "Log out", "other": "Tiếng Việt"},
}
Lang = Annotated[Literal["vi", "en"], Query(description="page language")]


def _safe_next(target: str | None) -> str:
    return target if target and target.startswith("/") and not target.startswith("//") \
        and "\\" not in target else "/"  # home (issue 15)


def login_router(auth: Authenticator, sessions: Sessions, limiter: LoginLimiter | None = None,
                 ldap: Callable[[str, str], Identity | None] | None = None) -> APIRouter:
    """The login and logout routes; ``ldap`` checks the passwords the store does not know."""
    r = APIRouter(tags=["login"])
    limits = limiter or LoginLimiter()

    def page(request: Request, lang: str, message: str = "", status: int = 200,
             next_: str | None = None) -> HTMLResponse:
        t = TEXT[lang]
        token = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(24)
        who = identity(request)
        other = "en" if lang == "vi" else "vi"
        body = [f"<!doctype html><html lang=\"{lang}\"><head><meta charset=\"utf-8\">"
                f"<title>{escape(t['title'])}</title></head><body><h1>{escape(t['title'])}</h1>"]
        if message:
            body.append(f"<p role=\"alert\">{escape(message)}</p>")
        if who is not None:
            body.append(f"<p>{escape(t['as'].format(u=who.name))}</p>"
                        f"<form method=\"post\" action=\"/logout\"><input type=\"hidden\" "
                        f"name=\"csrf\" value=\"{escape(token)}\"><button>"
                        f"{escape(t['logout'])}</button></form>")
        body.append(
            f"<form method=\"post\" action=\"/login?lang={lang}\">"
            f"<input type=\"hidden\" name=\"csrf\" value=\"{escape(token)}\">"
            f"<input type=\"hidden\" name=\"next\" value=\"{escape(_safe_next(next_))}\">"
            f"<label>{escape(t['user'])} <input name=\"username\" autocomplete=\"username\" "
            f"required></label><label>{escape(t['password'])} <input type=\"password\" "
            f"name=\"password\" autocomplete=\"current-password\" required></label>"
            f"<button>{escape(t['submit'])}</button></form>"
            f"<p><a href=\"/login?lang={other}\">{escape(t['other'])}</a></p></body></html>")
        resp = HTMLResponse("".join(body), status_code=status,
                            headers={"Cache-Control": "no-store"})
        resp.set_cookie(CSRF_COOKIE, token, httponly=True, samesite="strict",
                        secure=request.url.scheme == "https", path="/")
        return resp

    async def form(request: Request) -> dict[str, str]:
        raw = (await request.body()).decode("utf-8", "replace")
        return {k: v[0] for k, v in parse_qs(raw, keep_blank_values=True).items()}

    def csrf_ok(request: Request, fields: dict[str, str]) -> bool:
        cookie = request.cookies.get(CSRF_COOKIE, "")
        return bool(cookie) and hmac.compare_digest(cookie, fields.get("csrf", ""))

    @r.get("/login", response_class=HTMLResponse)
    def login_page(request: Request, lang: Lang = "vi",
                   next: Annotated[str | None, Query(max_length=2000)] = None) -> Any:
        """The login form (Vietnamese, or English with ``lang=en``)."""
        return page(request, lang, next_=next)

    @r.post("/login", response_class=HTMLResponse,
            responses={303: {"description": "logged in"}, 401: {"description": "wrong"},
                       403: {"description": "CSRF"}, 429: {"description": "locked out"}})
    async def login(request: Request, lang: Lang = "vi") -> Any:
        """Check the password; on success a session cookie and a redirect to ``next``."""
        fields = await form(request)
        if not csrf_ok(request, fields):
            return page(request, lang, TEXT[lang]["csrf"], 403)
        name = fields.get("username", "")[:120]
        client = request.client.host if request.client else ""
        keys = [f"user:{name}", f"addr:{client}"]
        left = limits.locked(keys)
        if left > 0:
            return page(request, lang, TEXT[lang]["locked"].format(s=int(left) + 1), 429)
        password = fields.get("password", "")
        who = auth.password(name, password)
        if who is None and ldap is not None:
            who = await run_in_threadpool(ldap, name, password)
        if who is None:
            limits.failed(keys)
            return page(request, lang, TEXT[lang]["bad"], 401)
        limits.succeeded(keys[:1])
        value = sessions.open(who.name)
        with auth.store.session() as s:
            audit.record(s, audit.Who(who.name, client or None), "session.login",
                         f"user {who.name}")
        resp = RedirectResponse(quote(_safe_next(fields.get("next")), safe="/?=&"), 303)
        resp.set_cookie(SESSION_COOKIE, value, httponly=True, samesite="strict",
                        secure=request.url.scheme == "https", path="/",
                        max_age=int(sessions.lifetime_s))
        return resp

    @r.post("/logout", responses={303: {"description": "logged out"},
                                  403: {"description": "CSRF"}})
    async def logout(request: Request) -> Response:
        """End the session (the form's CSRF token is required)."""
        fields = await form(request)
        if not csrf_ok(request, fields):
            return page(request, "vi", TEXT["vi"]["csrf"], 403)
        value = request.cookies.get(SESSION_COOKIE)
        if value:
            sessions.close(value)
            with auth.store.session() as s:
                audit.record(s, author(request, "anonymous"), "session.logout", "session")
        resp = RedirectResponse("/login", 303)
        resp.delete_cookie(SESSION_COOKIE, path="/")
        return resp

    return r

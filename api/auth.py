"""Authorisation of every request: one ASGI middleware over the role table (``api/roles.py``).

It sits outside the answer cache (``api/cache.py``), so a cached answer is only ever served
after the caller was authenticated and its role checked; the cache key also carries the
``Authorization`` and ``Cookie`` headers, so one caller's answer never reaches another.
Anonymous: 401 (``WWW-Authenticate: Bearer``; pages redirect to ``/login``); role too low:
403. A district-scoped caller's list routes (``DISTRICT_FILTERED``) get ``district=`` forced
to its district; naming another district is a 403.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import parse_qs, parse_qsl, quote, urlencode

from fastapi import HTTPException, Request

from provnet.api.roles import DISTRICT_FILTERED, RoleTable, is_page
from provnet.api.scope import SCOPE_KEY, Scoped, refusal
from provnet.inventory.audit import Who
from provnet.inventory.auth import Identity
from provnet.inventory.scope import DistrictIndex

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Any]
Send = Callable[[Message], Any]
App = Callable[[Scope, Receive, Send], Any]
IDENTITY_KEY = "provnet.identity"
SESSION_COOKIE = "provnet_session"
CSRF_COOKIE = "provnet_csrf"
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
ANONYMOUS_HEALTH = b'{"status":"ok"}'


class Authenticates(Protocol):
    """What the middleware asks (``inventory.auth.Authenticator`` and the session store)."""

    def token(self, token: str, address: str | None) -> Identity | None:
        """The identity of a bearer token used from ``address``."""
        ...


@dataclass
class ApiAuth:
    """What the middleware needs: the authenticator and the settings (``ApiContext.auth``)."""

    authenticator: Authenticates
    public_health: bool = False
    public_metrics: bool = False
    #: cookie value -> identity (the pages' login sessions); None: no sessions
    session: Callable[[str], Identity | None] | None = None
    login_page: bool = False
    #: the inventory's district index (district-scoped users); None: no object-level scope
    districts: Callable[[], DistrictIndex] | None = None


def identity(request: Request) -> Identity | None:
    """The authenticated caller of this request (None when auth is off: in-process tests)."""
    return request.scope.get(IDENTITY_KEY)


def author(request: Request, fallback: str = "api") -> Who:
    """Who made a change: the authenticated user (or ``fallback``) and the client address."""
    who = identity(request)
    client = request.client
    return Who(who.name if who else fallback, client.host if client else None)


def require_district(request: Request, district: str | None) -> None:
    """403 unless the caller's scope covers ``district`` (unscoped callers cover all)."""
    who = identity(request)
    if who is not None and not who.sees(district):
        raise HTTPException(403, f"user {who.name} is limited to district(s) "
                                 f"{', '.join(sorted(who.districts))}; this is "
                                 f"{district or 'not tied to a district'}")


def _headers(scope: Scope) -> dict[bytes, bytes]:
    return {k.lower(): v for k, v in scope.get("headers", [])}


def _cookie(raw: bytes, name: str) -> str | None:
    for part in raw.decode("latin-1").split(";"):
        k, _, v = part.strip().partition("=")
        if k == name:
            return v
    return None


class AuthGuard:
    """Authenticate (bearer token or session cookie), then check the route's role."""

    def __init__(self, app: App, auth: ApiAuth, table: RoleTable | None = None) -> None:
        self.app, self.settings, self.auth = app, auth, auth.authenticator
        self.table = table or RoleTable()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method, path = scope["method"], scope["path"]
        template, role = self.table.match(method, path)
        who = self._who(scope)
        if role == "public":
            scope[IDENTITY_KEY] = who
            await self.app(scope, receive, send)
            return
        if who is None:
            if path == "/api/v1/health" and self.settings.public_health:
                await _answer(send, 200, ANONYMOUS_HEALTH)
                return
            if path == "/metrics" and self.settings.public_metrics:
                await self.app(scope, receive, send)
                return
            if method in ("GET", "HEAD") and is_page(path) and self.settings.login_page:
                target = path + ("?" + scope["query_string"].decode("latin-1")
                                 if scope.get("query_string") else "")
                await _answer(send, 303, b"", [(b"location",
                                                f"/login?next={quote(target)}".encode())])
                return
            await _answer(send, 401, _detail("authentication required: send "
                                             "'Authorization: Bearer <token>' (provnet token "
                                             "create) or log in at /login"),
                          [(b"www-authenticate", b'Bearer realm="provnet"')])
            return
        if not who.may(role):
            await _answer(send, 403, _detail(f"{method} {template or path} needs role {role}; "
                                             f"user {who.name} is {who.role}"))
            return
        if who.via == "session" and method in UNSAFE:
            refused = _csrf(scope)
            if refused:
                await _answer(send, 403, _detail(refused))
                return
        if who.districts and self.settings.districts is not None:
            scoped = Scoped(who, self.settings.districts())
            scope[SCOPE_KEY] = scoped
            query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
            refused = refusal(scoped, template, path, query)
            if refused:
                await _answer(send, 403, _detail(refused))
                return
        if who.districts and template in DISTRICT_FILTERED:
            refused = _scope_query(scope, who)
            if refused:
                await _answer(send, 403, _detail(refused))
                return
        scope[IDENTITY_KEY] = who
        await self.app(scope, receive, send)

    def _who(self, scope: Scope) -> Identity | None:
        headers = _headers(scope)
        client = scope.get("client")
        address = client[0] if client else None
        authz = headers.get(b"authorization", b"").decode("latin-1")
        if authz[:7].lower() == "bearer ":
            return self.auth.token(authz[7:].strip(), address)
        cookie = headers.get(b"cookie")
        if cookie and self.settings.session is not None:
            value = _cookie(cookie, SESSION_COOKIE)
            if value:
                return self.settings.session(value)
        return None


def _csrf(scope: Scope) -> str | None:
    """A write authenticated by the session cookie must echo the CSRF cookie in a header."""
    headers = _headers(scope)
    cookie = _cookie(headers.get(b"cookie", b""), CSRF_COOKIE) or ""
    sent = headers.get(b"x-csrf-token", b"").decode("latin-1")
    if cookie and hmac.compare_digest(cookie, sent):
        return None
    return "a change made with the session cookie needs the header X-CSRF-Token (the value " \
           "of the provnet_csrf cookie)"


def _scope_query(scope: Scope, who: Identity) -> str | None:
    """Force ``district=`` to the caller's scope; the reason for a 403, or None."""
    pairs = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
    asked = [v for k, v in pairs if k == "district"]
    if asked:
        return None if all(who.sees(v) for v in asked) else (
            f"user {who.name} is limited to district(s) {', '.join(sorted(who.districts))}")
    if len(who.districts) != 1:
        return (f"user {who.name} covers several districts: name one with "
                f"district= ({', '.join(sorted(who.districts))})")
    pairs.append(("district", next(iter(who.districts))))
    scope["query_string"] = urlencode(pairs).encode("latin-1")
    return None


def _detail(text: str) -> bytes:
    return json.dumps({"detail": text}, ensure_ascii=False).encode()


async def _answer(send: Send, status: int, body: bytes,
                  extra: list[tuple[bytes, bytes]] | None = None) -> None:
    headers = [(b"content-type", b"application/json"),
               (b"content-length", str(len(body)).encode()), *(extra or [])]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def secure_openapi(doc: dict[str, Any], table: RoleTable | None = None) -> dict[str, Any]:
    """Declare bearer and cookie schemes, each operation's security and role (x-provnet-role)."""
    table = table or RoleTable()
    comps = doc.setdefault("components", {})
    comps.setdefault("securitySchemes", {}).update({
        "bearer": {"type": "http", "scheme": "bearer",
                   "description": "a token from `provnet token create USER`"},
        "session": {"type": "apiKey", "in": "cookie", "name": SESSION_COOKIE}})
    for path, ops in doc.get("paths", {}).items():
        for method, op in ops.items():
            if not isinstance(op, dict):
                continue
            _, role = table.match(method.upper(), _example(path))
            op["x-provnet-role"] = role
            if role == "public":
                op["security"] = []
                continue
            op["security"] = [{"bearer": []}, {"session": []}]
            responses = op.setdefault("responses", {})
            responses.setdefault("401", {"description": "no valid token or session"})
            responses.setdefault("403", {"description": f"needs role {role} (or the district)"})
    return doc


def _example(template: str) -> str:
    """A concrete path for a template (``{x}`` -> ``x``) to look the role up."""
    import re

    return re.sub(r"\{[^}:]+(:path)?\}", "x", template)

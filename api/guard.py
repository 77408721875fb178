"""The HTTP surface every answer passes through (one ASGI middleware, applied by ``create_app``).

- ``Host`` must be one of the allowed names (DNS rebinding: a page of ``evil.example`` that
  resolves to this server must not be answered): 400 otherwise.
- A request body larger than ``api.max_body_bytes`` is refused with 413 before any of it is
  parsed (``Content-Length`` is checked first; a chunked body is counted as it arrives).
- A NUL byte in the path, the query or a JSON/form body is a 422 with a reason: no database
  accepts it in a text column (PostgreSQL raises), so it never reaches a route.
- Security headers on every answer: a CSP without inline script, frame denial, no-sniff,
  referrer policy.
"""

from __future__ import annotations

import ipaddress
import json
import re
import socket
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

LOCAL_NAMES = ("localhost", "127.0.0.1", "::1", "localhost.localdomain", "ip6-localhost")
WILDCARDS = ("0.0.0.0", "::", "")

#: No inline script anywhere; style attributes (dynamic colours set by the map script) are
#: allowed, <style> elements are not. Frames: none, in either direction.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; "
       "style-src-attr 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self'; "
       "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
       "frame-ancestors 'none'")
#: The offline OpenAPI pages (/docs, /redoc) start Swagger UI / ReDoc with an inline script
#: they generate; they render no inventory data.
DOCS_CSP = CSP.replace("script-src 'self'", "script-src 'self' 'unsafe-inline'").replace(
    "style-src 'self'", "style-src 'self' 'unsafe-inline'")
DOCS_PATHS = ("/docs", "/redoc")

SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
)

# a JSON string escape \u0000 preceded by an even number of backslashes (an odd run would
# make it the text "\u0000", which is harmless)
_JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000", re.IGNORECASE)
_FORM_NUL = re.compile(rb"%00")


def default_allowed_hosts(bound: str, extra: Iterable[str] = ()) -> frozenset[str] | None:
    """The Host names served: ``extra`` (setting ``api.allowed_hosts``) when given, else the
    bound address and the local names. ``None`` means any IP literal is also accepted (a
    wildcard bind): an IP literal cannot be rebound, only a DNS name can."""
    names = {_norm(h) for h in extra if h.strip()}
    if names:
        return frozenset(names)
    names = {_norm(h) for h in LOCAL_NAMES}
    if bound in WILDCARDS:
        names |= {_norm(socket.gethostname()), _norm(socket.getfqdn())}
    else:
        names.add(_norm(bound))
    return frozenset(names)


def _norm(host: str) -> str:
    return host.strip().lower().rstrip(".").strip("[]")


def host_of(header: str) -> str:
    """The host part of a ``Host`` header (port and IPv6 brackets removed), lower case."""
    h = header.strip().lower()
    if h.startswith("["):
        return h[1:h.find("]")] if "]" in h else h
    if h.count(":") == 1:
        h = h.split(":", 1)[0]
    return h.rstrip(".")


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


class SurfaceGuard:
    """ASGI middleware: Host allow-list, body size limit, NUL rejection, security headers.

    ``allowed_hosts=None`` disables the Host check (in-process test clients); ``any_ip``
    additionally accepts any IP literal as Host (a wildcard bind).
    """

    def __init__(self, app: ASGIApp, *, allowed_hosts: frozenset[str] | None,
                 max_body_bytes: int, any_ip: bool = False) -> None:
        self.app = app
        self.allowed_hosts = allowed_hosts
        self.max_body_bytes = max_body_bytes
        self.any_ip = any_ip

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        send = self._with_headers(scope, send)
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        refusal = self._check_head(scope, headers)
        if refusal is not None:
            await _answer(send, *refusal)
            return
        body, gone = await self._read_body(receive)
        if gone:  # the client went away before sending its body
            return
        if body is None:
            await _answer(send, 413, self._too_large())
            return
        ctype = headers.get("content-type", "").split(";")[0].strip().lower()
        form = ctype == "application/x-www-form-urlencoded"
        if ((("json" in ctype or form) and b"\x00" in body)
                or ("json" in ctype and _JSON_NUL.search(body))
                or (form and _FORM_NUL.search(body))):
            await _answer(send, 422, _nul_detail("body"))
            return
        await self.app(scope, _replay(body, receive), send)

    def _check_head(self, scope: Scope, headers: dict[str, str]) -> tuple[int, Any] | None:
        if self.allowed_hosts is not None:
            host = host_of(headers.get("host", ""))
            if host not in self.allowed_hosts and not (self.any_ip and _is_ip(host)):
                return 400, (f"host {host!r} is not served here; add it to the setting "
                             "api.allowed_hosts")
        length = headers.get("content-length", "")
        if length.strip().isdigit() and int(length) > self.max_body_bytes:
            return 413, self._too_large()
        if "\x00" in scope.get("path", "") or b"%00" in (scope.get("raw_path") or b""):
            return 422, _nul_detail("path")
        query: bytes = scope.get("query_string", b"")
        if b"%00" in query or b"\x00" in query:
            return 422, _nul_detail("query")
        return None

    def _too_large(self) -> str:
        return (f"request body larger than {self.max_body_bytes} bytes "
                "(setting api.max_body_bytes); it was not read")

    async def _read_body(self, receive: Receive) -> tuple[bytes | None, bool]:
        """The whole body, up to the limit (``None`` once it grows past it: not parsed), and
        whether the client disconnected."""
        chunks: list[bytes] = []
        size = 0
        while True:
            msg = await receive()
            if msg["type"] != "http.request":  # a disconnect
                return b"", True
            chunk = msg.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                return None, False
            chunks.append(chunk)
            if not msg.get("more_body", False):
                return b"".join(chunks), False

    @staticmethod
    def _with_headers(scope: Scope, send: Send) -> Send:
        csp = DOCS_CSP if scope.get("path", "").startswith(DOCS_PATHS) else CSP

        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in SECURITY_HEADERS if k not in present]
                if b"content-security-policy" not in present:
                    extra.append((b"content-security-policy", csp.encode()))
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)
        return wrapped


def _nul_detail(where: str) -> list[dict[str, Any]]:
    # the shape of FastAPI's own validation errors, so the documented 422 schema holds
    return [{"loc": [where], "type": "value_error",
             "msg": f"NUL byte (\\u0000) in the request {where} is not accepted"}]


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()
    return replay


async def _answer(send: Send, status: int, detail: Any) -> None:
    payload = json.dumps({"detail": detail}, ensure_ascii=False).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(payload)).encode())]})
    await send({"type": "http.response.body", "body": payload})


NO_NUL_PATTERN = "^[^\\u0000]*$"


def declare_no_nul(node: Any) -> Any:
    """Say in the OpenAPI document what the guard enforces: a plain string (no pattern,
    enum, const or format of its own) gets ``pattern: ^[^\\u0000]*$``. In place; returns
    ``node``."""
    if isinstance(node, dict):
        if node.get("type") == "string" and not {"pattern", "enum", "const", "format"} & set(
                node):
            node["pattern"] = NO_NUL_PATTERN
        for value in node.values():
            declare_no_nul(value)
    elif isinstance(node, list):
        for value in node:
            declare_no_nul(value)
    return node

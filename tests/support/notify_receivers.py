"""Real loopback receivers for notifier tests: a recording HTTP server (webhook, Telegram-API
stub, Alertmanager's own webhook) and an aiosmtpd SMTP server."""

from __future__ import annotations

import json
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.support.helpers import free_port


@dataclass(frozen=True)
class Request:
    """One request the HTTP receiver got."""

    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8"))


Responder = Callable[[Request], tuple[int, bytes]]


@dataclass
class HttpReceiver:
    """A threaded ``http.server`` on 127.0.0.1 recording every POST; ``respond`` decides the
    answer. ``stop()`` then ``start()`` reuses the same port (receiver down, then up)."""

    port: int = field(default_factory=free_port)
    respond: Responder = lambda _req: (200, b"{}")
    requests: list[Request] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> HttpReceiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                req = Request(self.path, dict(self.headers.items()), self.rfile.read(length))
                receiver.requests.append(req)
                status, body = receiver.respond(req)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_args: object) -> None:
                pass

        ThreadingHTTPServer.allow_reuse_address = True
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def bodies(self) -> list[Any]:
        return [r.json() for r in self.requests]


class SmtpReceiver:
    """aiosmtpd on 127.0.0.1 (its own thread and event loop) keeping every message."""

    def __init__(
        self, tls: ssl.SSLContext | None = None, users: dict[str, str] | None = None
    ) -> None:
        """``tls``: offer STARTTLS and require it; ``users``: require AUTH with these logins."""
        from aiosmtpd.controller import Controller
        from aiosmtpd.smtp import AuthResult, LoginPassword

        self.port = free_port()
        self.messages: list[tuple[str, list[str], EmailMessage]] = []
        self.received_at: list[float] = []  # time.perf_counter() of each message
        receiver = self

        class Handler:
            async def handle_DATA(self, _server: object, _session: object, envelope: Any) -> str:
                msg = message_from_bytes(envelope.content, policy=policy.default)
                receiver.received_at.append(time.perf_counter())
                receiver.messages.append((envelope.mail_from, list(envelope.rcpt_tos), msg))  # type: ignore[arg-type]
                return "250 OK"

        def authenticate(*args: Any) -> AuthResult:
            data = args[-1]
            ok = (
                isinstance(data, LoginPassword)
                and users is not None
                and (users.get(data.login.decode()) == data.password.decode())
            )
            return AuthResult(success=ok, handled=False)

        extra: dict[str, Any] = {}
        if tls is not None:
            extra.update(tls_context=tls, require_starttls=True)
        if users is not None:
            extra.update(
                authenticator=authenticate, auth_required=True, auth_exclude_mechanism=["LOGIN"]
            )
            if tls is None:  # a server that takes passwords in the clear (a legacy relay)
                extra.update(auth_require_tls=False)
        self._controller = Controller(Handler(), hostname="127.0.0.1", port=self.port, **extra)

    def start(self) -> SmtpReceiver:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

"""Serve the app with uvicorn inside the caller's event loop; the caller owns the signals."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import uvicorn

ASGIApp = Any

SWITCH_INTERVAL_S = 0.0005
#: the API front's connections are kept this long idle (it closes them first, at 30 s)
SERVICE_KEEPALIVE_S = 75
#: open answers (an event stream never ends by itself) get this long after a stop, then close
SHUTDOWN_GRACE_S = 2


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:  # the service handles SIGINT/SIGTERM
        yield

    def install_signal_handlers(self) -> None:  # older uvicorn
        return None


def bind(host: str, port: int) -> socket.socket:
    """Bind the listening socket up front so a busy port is a clear OSError, not an exit."""
    # proto IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY only on sockets that say TCP, and
    # without it every small answer (headers and body written apart) waited ~40 ms for the
    # client's delayed ACK (Nagle)
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM,
                         socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # inherited by accepted ones
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise OSError(f"API cannot listen on {host}:{port}: {exc.strerror}") from exc
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def bind_unix(path: Path) -> socket.socket:
    """A listening Unix socket at ``path`` (0600): the service behind the API front."""
    path.unlink(missing_ok=True)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.bind(str(path))
    except OSError as exc:
        sock.close()
        raise OSError(f"API cannot listen on {path}: {exc.strerror}") from exc
    path.chmod(0o600)
    sock.listen(128)
    return sock


async def serve(app: ASGIApp, sock: socket.socket, stop: asyncio.Event,
                tls: tuple[str, str] | None = None, behind_front: bool = False) -> None:
    """Serve on an already bound socket until ``stop`` is set; HTTPS with ``tls`` (cert, key
    PEM files). ``behind_front``: the socket is the private Unix socket the API front
    (``api/front.py``) talks to, so its ``X-Forwarded-For``/``-Proto`` are the client's."""
    # threads of the service (the InfluxDB flusher encoding a cycle's points, answers built in
    # the thread pool) hold the GIL for up to the switch interval each time the event loop
    # wants it; at 5 ms (the default) a busy thread made the loop, and every answer, wait
    # hundreds of ms (convoy). 0.5 ms keeps the loop's turns short.
    sys.setswitchinterval(min(sys.getswitchinterval(), SWITCH_INTERVAL_S))
    server = _Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off",
                                     timeout_graceful_shutdown=SHUTDOWN_GRACE_S,
                                     ssl_certfile=tls[0] if tls else None,
                                     ssl_keyfile=tls[1] if tls else None,
                                     forwarded_allow_ips="*" if behind_front else None,
                                     timeout_keep_alive=SERVICE_KEEPALIVE_S if behind_front
                                     else 5))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    stopper = asyncio.create_task(stop.wait())
    await asyncio.wait({task, stopper}, return_when=asyncio.FIRST_COMPLETED)
    server.should_exit = True
    stopper.cancel()
    await task

"""The API front's process (``api.front: true``): started and fed by the service.

The service binds the public socket, serves its own app on a private Unix socket and starts
``python -m provnet.front`` with both the public socket and one end of a socket pair. Over
the pair, the service sends one JSON line of set-up (store URL, state dir, ``api`` settings,
the Unix socket's path), then a line each time its generation moves; the front sends its
cache figures once a second (``/api/v1/health`` shows them as ``front_cache_*``). The front
ends when the service closes the pair (the service stopped or died) or on SIGTERM; the service
starts it again if it dies on its own. See ``api/front.py`` for what the front does.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Any

from provnet.api.events import EventHub
from provnet.api.front import Feed, Upstream, front_app
from provnet.api.server import serve
from provnet.config.settings import ApiSettings, Settings
from provnet.features.identity import build_api_auth
from provnet.inventory.store import Store

log = logging.getLogger(__name__)
#: how often the service looks whether its generation moved (a trap's change shows this late)
FEED_S = 0.02
FIGURES_S = 1.0
RESTART_S = 1.0
#: how long a front that closed its control socket gets to exit before it is killed
REAP_S = 2.0
#: events kept for a front that does not read (it is restarted long before this fills)
MAX_PENDING_EVENTS = 10_000


class FrontProcess:
    """The service's handle on its API front: start, feed, restart if it dies, stop."""

    def __init__(self, listen: socket.socket, uds: Path, settings: Settings,
                 hub: EventHub | None = None,
                 command: tuple[str, ...] = (sys.executable, "-m", "provnet.front")) -> None:
        self.listen, self.uds, self.settings = listen, uds, settings
        self.command = command
        #: live-update events for the front's own hub, sent with the next generation line
        self._events: list[bytes] = []
        if hub is not None:
            hub.taps.append(self._tap)
        self.proc: subprocess.Popen[bytes] | None = None
        self.control: socket.socket | None = None
        #: the front's answer-cache figures, as last reported
        self.figures: dict[str, int] = {}
        self.starts = 0

    def _tap(self, event: str, data: Any) -> None:
        if self.control is not None and len(self._events) < MAX_PENDING_EVENTS:
            self._events.append(Feed.event_line(event, data))

    def start(self) -> None:
        """Start the front process and send it its set-up."""
        parent, child = socket.socketpair()
        fds = (self.listen.fileno(), child.fileno())
        self.proc = subprocess.Popen(
            [*self.command, "--listen-fd", str(fds[0]), "--control-fd", str(fds[1])],
            pass_fds=fds, stdin=subprocess.DEVNULL)
        child.close()
        init = {"sql_url": self.settings.sql_url(), "state_dir": str(self.settings.state_dir),
                "uds": str(self.uds), "api": self.settings.api.model_dump(mode="json")}
        parent.sendall(json.dumps(init).encode() + b"\n")
        parent.setblocking(False)
        self.control = parent
        self.starts += 1
        log.info("API front started (pid %d)", self.proc.pid)

    async def run(self, generation: Callable[[], tuple[Hashable, Hashable]],
                  stop: asyncio.Event) -> None:
        """Feed the generation to the front until ``stop``; start it again if it dies or
        closes its end of the control socket."""
        while not stop.is_set():
            if self.proc is not None and (self.control is None or self.proc.poll() is not None):
                # the feed ended: the front's end closed as it died (the socket may close
                # before the process can be reaped) or it broke; make sure it is gone
                code = await self._reap()
                log.error("API front exited with %s; starting it again", code)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), RESTART_S)
                if stop.is_set():
                    return
                self.proc = None
            if self.proc is None:
                self.start()
            with contextlib.suppress(OSError, ConnectionError):
                await self._feed(generation, stop)

    async def _reap(self) -> int | None:
        """The old front's exit code, after ``REAP_S`` for it to exit, then SIGKILL."""
        assert self.proc is not None
        deadline = time.monotonic() + REAP_S
        while self.proc.poll() is None and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        if self.proc.poll() is None:
            log.error("API front (pid %d) closed its control socket but runs on: killing it",
                      self.proc.pid)
            self.proc.kill()
            while self.proc.poll() is None:
                await asyncio.sleep(0.05)
        return self.proc.returncode

    async def _feed(self, generation: Callable[[], tuple[Hashable, Hashable]],
                    stop: asyncio.Event) -> None:
        assert self.control is not None and self.proc is not None
        try:
            reader, writer = await asyncio.open_connection(sock=self.control)
        except OSError:
            self.control = None
            raise
        figures = asyncio.create_task(self._figures(reader))
        last: tuple[Hashable, Hashable] | None = None
        try:
            while not stop.is_set() and self.proc.poll() is None and not figures.done():
                now = generation()
                if now != last:  # the generation first: a screen told of a cycle re-reads
                    writer.write(Feed.generation_line(*now))
                    last = now
                if self._events:
                    writer.writelines(self._events)
                    self._events = []
                await writer.drain()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), FEED_S)
        finally:
            figures.cancel()
            writer.close()
            self.control = None

    async def _figures(self, reader: asyncio.StreamReader) -> None:
        while line := await reader.readline():
            with contextlib.suppress(ValueError, TypeError):
                self.figures = {f"front_{k}": int(v) for k, v in json.loads(line).items()}

    def stop(self) -> None:
        """Stop the front (SIGTERM, then SIGKILL after 3 s)."""
        if self.control is not None:
            self.control.close()
            self.control = None
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(3)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(3)


# --- the front process itself --------------------------------------------------------------
async def _front(listen: socket.socket, control: socket.socket) -> None:
    reader, writer = await asyncio.open_connection(sock=control)
    init: dict[str, Any] = json.loads(await reader.readline())
    api = ApiSettings.model_validate(init["api"])
    if api.front_nice:
        try:
            os.nice(api.front_nice)
        except OSError as exc:
            log.warning("API front: cannot set nice %d: %s", api.front_nice, exc)
    store = Store(init["sql_url"])  # migrated by the service already
    guard, _, _ = build_api_auth(store, Path(init["state_dir"]), api)
    upstream = Upstream(init["uds"])
    feed = Feed(EventHub())
    host = listen.getsockname()[0]
    app, cache = front_app(upstream, feed, guard, max_body_bytes=api.max_body_bytes,
                           allowed_hosts=api.allowed_hosts, bound_host=host)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)

    async def listen_service() -> None:
        while line := await reader.readline():
            feed.apply(line)
        stop.set()  # the service is gone

    async def report() -> None:
        while not stop.is_set():
            writer.write(json.dumps(cache.figures()).encode() + b"\n")
            with contextlib.suppress(ConnectionError):
                await writer.drain()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), FIGURES_S)

    tls = (str(api.tls_cert), str(api.tls_key)) if api.tls_cert and api.tls_key else None
    helpers = [asyncio.create_task(listen_service()), asyncio.create_task(report())]
    asyncio.get_running_loop().call_later(2.0, _freeze_heap)
    try:
        await serve(app, listen, stop, tls)
    finally:
        stop.set()
        for task in helpers:
            task.cancel()
        await upstream.aclose()
        store.engine.dispose()


def _freeze_heap() -> None:
    """Start-up objects out of the collector's full passes (as the service does)."""
    gc.collect()
    gc.freeze()


def main(argv: list[str] | None = None) -> None:
    """``python -m provnet.front --listen-fd N --control-fd M`` (started by the service)."""
    ap = argparse.ArgumentParser(prog="provnet.front")
    ap.add_argument("--listen-fd", type=int, required=True)
    ap.add_argument("--control-fd", type=int, required=True)
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s front %(levelname)s "
                        "%(name)s: %(message)s")
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the service, which stops us
    listen = socket.socket(fileno=args.listen_fd)
    control = socket.socket(fileno=args.control_fd)
    started = time.monotonic()
    asyncio.run(_front(listen, control))
    log.debug("API front ran %.0f s", time.monotonic() - started)


if __name__ == "__main__":
    main()

"""The HTTP surface against a reviewer: allowed Host names (DNS rebinding), security headers on
every answer, a request-body limit enforced before anything is parsed.

The app is served by a real uvicorn on a loopback port (the body-limit cases send raw HTTP
over a socket, as an attacker would); in-process clients cover the header matrix.
"""

from __future__ import annotations

import select
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from provnet.api.alerts import alerts_router
from provnet.api.app import create_app
from provnet.api.context import ApiContext
from provnet.api.pages import maps_routers
from provnet.config.settings import ApiSettings, load_settings
from provnet.demo.seed import seed_demo
from provnet.inventory.store import Store, open_store
from provnet.maps.coverage import CoverageService
from provnet.maps.geojson import MapsContext
from provnet.pollers.live import LiveState
from tests.support.helpers import free_port

pytestmark = pytest.mark.integration
SILENCE = {"created_by": "ops", "rule": "link_down", "duration_s": 60}


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Store, Path]]:
    d = tmp_path_factory.mktemp("surface")
    st = open_store(f"sqlite:///{d / 'inv.sqlite'}")
    seed_demo(st)
    yield st, d
    st.close()


def _app(store: tuple[Store, Path], api: ApiSettings | None, bound: str | None = None) -> object:
    st, d = store
    live = LiveState()
    svc = CoverageService(st, load_settings(state_dir=d), persist=False)
    return create_app(ApiContext(store=st, live=live),
                      [alerts_router(st), *maps_routers(MapsContext(st, live, coverage=svc))],
                      api, bound)


@pytest.fixture(scope="module")
def server(store: tuple[Store, Path]) -> Iterator[tuple[str, int]]:
    import uvicorn

    port = free_port("127.0.0.1")
    app = _app(store, ApiSettings(host="127.0.0.1", port=port, max_body_bytes=64 * 1024))
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,  # type: ignore[arg-type]
                                        log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.time() + 20
    while not srv.started:
        assert time.time() < deadline and thread.is_alive(), "uvicorn did not start"
        time.sleep(0.05)
    yield "127.0.0.1", port
    srv.should_exit = True
    thread.join(10)


def _raw(addr: tuple[str, int], head: bytes, body: bytes = b"", timeout: float = 5.0
         ) -> tuple[int, bytes]:
    """Send raw bytes; return the status and the answer. Stops sending if the server answers."""
    with socket.create_connection(addr, timeout=timeout) as sock:
        sock.sendall(head)
        sent = 0
        answer = b""
        while sent < len(body):
            readable, writable, _ = select.select([sock], [sock], [], timeout)
            if readable:  # the server answered before the body was sent
                answer = sock.recv(65536)
                break
            if writable:
                sent += sock.send(body[sent: sent + 65536])
        sock.settimeout(timeout)
        try:
            while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
                chunk = sock.recv(65536)
                if not chunk:
                    break
                answer += chunk
        except (TimeoutError, ConnectionResetError):
            pass
    return int(answer.split(b" ", 2)[1]), answer


# --- Host names -------------------------------------------------------------------------

def test_foreign_host_is_400_on_the_real_server(server: tuple[str, int]) -> None:
    base = f"http://{server[0]}:{server[1]}"
    assert httpx.get(f"{base}/api/v1/health").status_code == 200
    r = httpx.get(f"{base}/api/v1/health", headers={"Host": "evil.example"})
    assert r.status_code == 400
    assert "api.allowed_hosts" in r.json()["detail"]
    assert r.headers["x-frame-options"] == "DENY"  # refusals carry the headers too
    r = httpx.get(f"{base}/api/v1/health", headers={"Host": f"localhost:{server[1]}"})
    assert r.status_code == 200


@pytest.mark.parametrize(("api", "bound", "host", "status"), [
    (ApiSettings(), None, "127.0.0.1:8000", 200),
    (ApiSettings(), None, "localhost", 200),
    (ApiSettings(), None, "[::1]:8000", 200),
    (ApiSettings(), None, "evil.example", 400),
    (ApiSettings(), None, "127.0.0.1.nip.io", 400),
    (ApiSettings(), None, "10.1.2.3", 400),       # not the bound address
    (ApiSettings(host="0.0.0.0"), "0.0.0.0", "10.1.2.3:8000", 200),  # IP literals: no rebinding
    (ApiSettings(host="0.0.0.0"), "0.0.0.0", "evil.example", 400),
    (ApiSettings(host="10.1.2.3"), None, "10.1.2.3", 200),
    (ApiSettings(allowed_hosts=["noc.angiang.gov.vn"]), None, "NOC.angiang.gov.vn:443", 200),
    (ApiSettings(allowed_hosts=["noc.angiang.gov.vn"]), None, "localhost", 400),
    (ApiSettings(host="0.0.0.0", allowed_hosts=["noc.angiang.gov.vn"]), "0.0.0.0",
     "10.1.2.3", 400),
])
def test_host_allow_list(store: tuple[Store, Path], api: ApiSettings, bound: str | None,
                         host: str, status: int) -> None:
    with TestClient(_app(store, api, bound)) as c:  # type: ignore[arg-type]
        assert c.get("/api/v1/health", headers={"Host": host}).status_code == status


# --- security headers -------------------------------------------------------------------

@pytest.mark.parametrize(("method", "path", "status"), [
    ("GET", "/api/v1/health", 200),
    ("GET", "/maps/province", 200),
    ("GET", "/maps/communes/30448", 200),
    ("GET", "/maps/communes/30448.svg", 200),
    ("GET", "/maps/static/provnet-maps.js", 200),
    ("GET", "/openapi.json", 200),
    ("GET", "/api/v1/nothing-here", 404),
    ("GET", "/api/v1/links?limit=0", 422),
    ("GET", "/api/v1/links?x=%00", 422),
    ("POST", "/api/v1/alerts/silences", 422),
])
def test_security_headers_on_every_answer(store: tuple[Store, Path], method: str, path: str,
                                          status: int) -> None:
    with TestClient(_app(store, ApiSettings()), base_url="http://127.0.0.1") as c:
        r = c.request(method, path, json={} if method == "POST" else None)
    assert r.status_code == status, r.text
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "no-referrer"
    csp = {d.split()[0]: d.split()[1:] for d in r.headers["content-security-policy"].split("; ")}
    assert csp["script-src"] == ["'self'"]          # no inline script, no eval
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["object-src"] == ["'none'"]
    assert "'unsafe-inline'" not in csp["style-src"]


def test_pages_have_no_inline_script_or_style(store: tuple[Store, Path]) -> None:
    with TestClient(_app(store, None)) as c:
        for path in ("/maps/province", "/maps/communes/30448", "/maps/communes/99999"):
            html = c.get(path).text
            scripts = html.split("<script")[1:]
            for s in scripts:  # external files, or a JSON data block that never runs
                assert ' src="/maps/static/' in s.split(">")[0] or \
                    'type="application/json"' in s.split(">")[0], s[:80]
            assert "<style" not in html and " on" + "load=" not in html


# --- request body limit -----------------------------------------------------------------

def test_large_declared_body_is_413_before_it_is_sent(server: tuple[str, int]) -> None:
    body = b'{"created_by": "' + b"x" * (50 * 1024 * 1024) + b'"}'
    head = (f"POST /api/v1/alerts/silences HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n").encode()
    t0 = time.perf_counter()
    status, answer = _raw(server, head, body)
    took = time.perf_counter() - t0
    assert status == 413, answer[:300]
    assert b"api.max_body_bytes" in answer and b"content-security-policy" in answer.lower()
    assert took < 2.0, f"50 MB body took {took:.1f} s to refuse"  # before the fix: ~37 s


def test_large_chunked_body_is_413_without_parsing(server: tuple[str, int]) -> None:
    # no Content-Length: the guard counts the chunks and stops at the limit
    chunk = b"x" * 32768
    body = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(64)) + b"0\r\n\r\n"
    head = (b"POST /api/v1/alerts/silences HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
    status, answer = _raw(server, head, body)
    assert status == 413, answer[:300]


def test_body_within_the_limit_is_served(server: tuple[str, int]) -> None:
    r = httpx.post(f"http://{server[0]}:{server[1]}/api/v1/alerts/silences",
                   json={**SILENCE, "comment": "bảo trì " * 200})
    assert r.status_code == 201, r.text
    assert r.json()["comment"].startswith("bảo trì")


def test_openapi_declares_what_the_guard_refuses(store: tuple[Store, Path]) -> None:
    with TestClient(_app(store, None)) as c:
        doc = c.get("/openapi.json").json()
    params = {p["name"]: p["schema"] for p in doc["paths"]["/api/v1/communes"]["get"]
              ["parameters"]}
    q = next(s for s in params["q"]["anyOf"] if s.get("type") == "string")
    assert q["pattern"] == "^[^\\u0000]*$"
    silence = doc["components"]["schemas"]["SilenceIn"]["properties"]["created_by"]
    assert silence["pattern"] == "^[^\\u0000]*$"

"""The API front (``api.front: true``, issue 14) on a user's own network under ``provnet serve``.

A CSV province (core, a PoP, two commune routers) in a network namespace with real ``snmpd``
per router. The front answers in a process of its own: the test shows that it keeps answering
the cached lists and refusing the anonymous while the service is frozen (SIGSTOP), that
validators (ETag/304), login cookies, writes, and the live event stream pass through it to the
service, that the service starts it again when it dies, and that it ends with the service.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from provnet.config.settings import load_settings
from tests.support.api_auth import admin_headers
from tests.support.csv_lab import COMMUNITY, LINKS, Lab, netns_lab, province_files
from tests.support.demo_proc import wait_until
from tests.support.helpers import InfluxdHandle, free_port, stop_process

pytestmark = pytest.mark.integration

ROUTERS = ["core", "p1", "x1", "x2"]
INTERVAL_S = 2.0


@pytest.fixture()
def lab(tmp_path: Path) -> Iterator[Lab]:
    with netns_lab(tmp_path) as made:
        yield made


def _fronts(service_pid: int) -> list[int]:
    """PIDs of ``provnet.front`` processes whose parent is the service."""
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            cmd = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if int(stat[1]) == service_pid and b"provnet.front" in cmd and stat[0] != "Z":
            out.append(int(entry.name))
    return out


def _cli(*args: str, stdin: str | None = None) -> None:
    done = subprocess.run([sys.executable, "-m", "provnet.cli", *args], input=stdin,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_front_answers_while_the_service_is_frozen(
        lab: Lab, tmp_path: Path, influx_database: InfluxdHandle) -> None:
    links = [lk for lk in LINKS if lk[0] in ROUTERS and lk[2] in ROUTERS]
    for _, a_port, _, z_port in links:
        lab.link(a_port, z_port)
    for r in ROUTERS:
        lab.agent(r)
    port = free_port()
    cfg = tmp_path / "provnet.yaml"
    cfg.write_text(
        f"state_dir: {tmp_path / 'state'}\n"
        f"influx: {{url: '{influx_database.url}', database: {influx_database.database}}}\n"
        f"poller: {{interval_s: {INTERVAL_S}}}\n"
        f"api: {{port: {port}, front: true}}\n"
        "traps: {enabled: false}\nicmp: {enabled: false}\n"
        f"snmp_profiles: {{lab: {{community: {COMMUNITY}, timeout_s: 1.0, retries: 1}}}}\n",
        encoding="utf-8")
    province_files(lab, tmp_path / "inv", ROUTERS, links)
    _cli("inventory", "import", str(tmp_path / "inv"), "--config", str(cfg))
    _cli("user", "add", "hoa", "--role", "operator", "--password-stdin", "--config", str(cfg),
         stdin="mật-khẩu-đủ-dài-1\n")
    headers = admin_headers(load_settings(cfg))
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "provnet.cli", "serve", "--config",
                                 str(cfg)], stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL)
    try:
        def live() -> list[dict[str, object]] | None:
            got = httpx.get(f"{base}/api/v1/links", headers=headers, timeout=5)
            if got.status_code != 200:
                return None
            items = got.json()["items"]
            return items if len(items) == len(links) and all(
                i["health"]["status"] == "up" for i in items) else None

        wait_until("every link up through the front", live, 90, proc, log)
        fronts = _fronts(proc.pid)
        assert len(fronts) == 1, fronts

        # validators: the same bytes keep their tag; If-None-Match is a 304 with no body
        first = httpx.get(f"{base}/api/v1/links", headers=headers, timeout=5)
        again = httpx.get(f"{base}/api/v1/links", headers={
            **headers, "If-None-Match": first.headers["etag"]}, timeout=5)
        assert again.status_code in (200, 304)
        if again.status_code == 304:
            assert again.content == b""

        # the service frozen: the front still answers the cached list and refuses strangers
        os.kill(proc.pid, signal.SIGSTOP)
        try:
            t0 = time.monotonic()
            frozen = httpx.get(f"{base}/api/v1/links", headers=headers, timeout=3)
            anonymous = httpx.get(f"{base}/api/v1/links", timeout=3)
            wrong_host = httpx.get(f"{base}/api/v1/links", headers={**headers,
                                                                      "Host": "evil.example"},
                                   timeout=3)
            took = time.monotonic() - t0
        finally:
            os.kill(proc.pid, signal.SIGCONT)
        assert frozen.status_code == 200 and len(frozen.json()["items"]) == len(links)
        assert anonymous.status_code == 401 and "authentication" in anonymous.json()["detail"]
        assert wrong_host.status_code == 400
        assert took < 2.0, took

        figures = httpx.get(f"{base}/api/v1/health", headers=headers,
                            timeout=5).json()["poller"]
        wait_until("the front's figures in health", lambda: httpx.get(
            f"{base}/api/v1/health", headers=headers, timeout=5).json()["poller"].get(
            "front_cache_hits", 0) >= 2, 10, proc, log)
        assert "cache_hits" in figures

        # a log-in (form POST, Set-Cookie) and a page with the cookie pass through the front
        with httpx.Client(base_url=base, timeout=10) as browser:
            form = browser.get("/login")
            assert form.status_code == 200
            csrf = browser.cookies["provnet_csrf"]
            done = browser.post("/login", data={"username": "hoa", "csrf": csrf,
                                                "password": "mật-khẩu-đủ-dài-1",
                                                "next": "/incidents"})
            assert done.status_code == 303, done.text
            assert "provnet_session" in browser.cookies
            page = browser.get("/incidents")
            assert page.status_code == 200 and "hoa" in page.text

        # the live event stream passes through (a `cycle` frame within two intervals)
        with httpx.stream("GET", f"{base}/api/v1/stream", headers=headers,
                          timeout=10) as stream:
            assert stream.headers["content-type"].startswith("text/event-stream")
            seen = ""
            for chunk in stream.iter_text():
                seen += chunk
                if "event: cycle" in seen:
                    break
        assert "event: cycle" in seen

        # a dead front is started again by the service
        os.kill(fronts[0], signal.SIGKILL)

        def new_front() -> bool:
            now = _fronts(proc.pid)
            return bool(now) and now != fronts and httpx.get(
                f"{base}/api/v1/links", headers=headers, timeout=3).status_code == 200

        wait_until("a new front answering", new_front, 15, proc, log)
        current = _fronts(proc.pid)
    finally:
        stop_process(proc, timeout_s=20)
    assert proc.returncode == 0, log.read_text()[-2000:]
    for pid in current:  # the front ends with the service
        assert not Path(f"/proc/{pid}").exists() or "Z" in Path(
            f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]

"""``provnet serve --tls-cert --tls-key`` serves HTTPS (a self-signed certificate made by
``openssl`` here): TLS answers, roles still enforced, the session cookie is ``Secure``; the
same through the API front (``api.front``)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from provnet.config.settings import load_settings
from provnet.inventory import auth
from provnet.inventory.store import open_store
from tests.support.api_auth import admin_headers
from tests.support.helpers import free_port, stop_process

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("front", [False, True], ids=["in-service", "front"])
def test_https_with_roles_and_secure_cookie(tmp_path: Path, front: bool) -> None:
    """With ``api.front`` the front terminates TLS and tells the service the scheme."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    state, port = tmp_path / "state", free_port()
    cfg = tmp_path / "provnet.yaml"
    cfg.write_text(f"state_dir: {state}\napi: {{port: {port}, front: {str(front).lower()}}}\n"
                   f"influx: {{url: 'http://127.0.0.1:{free_port()}'}}\n"
                   "traps: {enabled: false}\nicmp: {enabled: false}\n", encoding="utf-8")
    settings = load_settings(cfg)
    headers = admin_headers(settings)
    store = open_store(settings.sql_url())
    auth.add_user(store, "lan", "viewer", (), "mật khẩu")
    store.close()
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "provnet.cli", "serve", "--config",
                                 str(cfg), "--tls-cert", str(cert), "--tls-key", str(key),
                                 "--duration", "60"], stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    base = f"https://127.0.0.1:{port}"
    try:
        with httpx.Client(verify=str(cert), timeout=5, follow_redirects=False) as c:
            deadline = time.monotonic() + 40
            while True:
                try:
                    r = c.get(f"{base}/api/v1/health", headers=headers)
                    break
                except httpx.HTTPError:
                    assert proc.poll() is None and time.monotonic() < deadline, log.read_text()
                    time.sleep(0.3)
            assert r.status_code == 200 and r.json()["version"]
            assert c.get(f"{base}/api/v1/health").status_code == 401
            with pytest.raises(httpx.HTTPError):  # plain HTTP on the TLS port is no answer
                httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=5).json()
            c.get(f"{base}/login")
            token = c.cookies["provnet_csrf"]
            r = c.post(f"{base}/login", data={"username": "lan", "password": "mật khẩu",
                                              "csrf": token})
            assert r.status_code == 303, r.text
            cookie = r.headers["set-cookie"].lower()
            assert "secure" in cookie and "httponly" in cookie and "samesite=strict" in cookie
    finally:
        stop_process(proc)
    assert "https://" in log.read_text()

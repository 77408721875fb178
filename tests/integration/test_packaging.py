"""An installed wheel has one import root (``provnet``) and runs from anywhere.

Builds the wheel from this checkout, installs it (without dependencies, which the test's own
environment provides) into an empty directory, then runs ``provnet demo`` from another
directory with only that installation on the path for provnet's own code.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import httpx
import pytest

from tests.support.api_auth import demo_headers
from tests.support.helpers import free_port, stop_process

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("api", "config", "inventory", "maps", "pollers", "tsdb", "alerts")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    # a copy of the tree, so that no stale build/ directory leaks old modules into the wheel
    src = out / "src"
    shutil.copytree(ROOT, src, symlinks=True, ignore=shutil.ignore_patterns(
        ".git", ".venv", "build", "node_modules", "__pycache__", ".provnet", "state", "tests",
        "*.egg-info", ".mypy_cache", ".ruff_cache", ".pytest_cache"))
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w",
                           str(out), str(src)], capture_output=True, text=True, timeout=300,
                          check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    (whl,) = out.glob("provnet-*.whl")
    return whl


def test_wheel_has_one_import_root_and_its_data(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    tops = {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")}
    assert tops == {"provnet"}
    for pkg in PACKAGES:
        assert f"provnet/{pkg}/__init__.py" in names
    for data in ("provnet/maps/web/templates/province.html",
                 "provnet/inventory/migrations/env.py",
                 "provnet/config/profiles/default.yaml",
                 "provnet/config/alerts/default.yaml",
                 "provnet/alerts/notify/templates",
                 "provnet/maps/web/guide/responder.vi.md",  # /help/{who} (issue 15)
                 "provnet/maps/web/static/screenshots/incident.png"):
        assert any(n.startswith(data) for n in names), data
    meta = next(n for n in names if n.endswith(".dist-info/METADATA"))
    assert "License-Expression: Apache-2.0" in zipfile.ZipFile(wheel).read(meta).decode()


def test_installed_wheel_runs_the_demo_from_another_directory(wheel: Path,
                                                              tmp_path: Path) -> None:
    target = tmp_path / "site"
    proc = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q",
                           "--target", str(target), str(wheel)],
                          capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert not [p for p in PACKAGES if (target / p).exists()]
    assert (target / "provnet" / "api" / "app.py").is_file()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "PYTHONPATH": str(target)}
    where = subprocess.run([sys.executable, "-c", "import provnet.api.app as m; print(m.__file__)"],
                           cwd=elsewhere, env=env, capture_output=True, text=True, check=True)
    assert where.stdout.strip().startswith(str(target))
    port = free_port()
    log = tmp_path / "demo.log"
    with log.open("wb") as out:
        demo = subprocess.Popen(
            [sys.executable, "-m", "provnet.cli", "demo", "--duration", "60", "--port",
             str(port), "--state-dir", str(tmp_path / "state")],
            cwd=elsewhere, env=env, stdout=out, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        base = f"http://127.0.0.1:{port}"
        headers = demo_headers(tmp_path / "state")  # the demo's first start made them
        deadline, links = time.monotonic() + 90, 0
        while time.monotonic() < deadline and demo.poll() is None:
            try:
                body = httpx.get(f"{base}/api/v1/links", params={"status": "up", "limit": 1},
                                 headers=headers, timeout=5).json()
                links = body["total"]
            except (httpx.HTTPError, KeyError, ValueError):
                links = 0
            if links > 100:
                break
            time.sleep(1)
        assert links > 100, log.read_text()[-3000:]
        assert httpx.get(f"{base}/maps/province", headers=headers, timeout=10).status_code == 200
        guide = httpx.get(f"{base}/help/responder", headers=headers, timeout=10)
        assert guide.status_code == 200 and "Hướng dẫn cho ứng cứu sự cố" in guide.text
        assert httpx.get(f"{base}/help/screenshots/incident.png", headers=headers,
                         timeout=10).status_code == 200
    finally:
        stop_process(demo)
    assert "Traceback" not in log.read_text()

"""`provnet demo` on ``tsdb.backend: victoriametrics``: the simulated province polled into the
managed victoria-metrics servers, health pinging them, the history API answering raw samples
and the status timeline from them, and every server gone after a clean stop."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.demo_proc import DemoProcess
from tests.support.vm_server import have_victoria

pytestmark = [pytest.mark.integration,
              pytest.mark.skipif(not have_victoria(), reason="victoria-metrics is not installed")]
INTERVAL = 5


def _servers(state: Path) -> list[int]:
    """PIDs of victoria-metrics processes whose data lives under ``state`` (ours)."""
    out = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                cmd = (proc / "cmdline").read_bytes().decode(errors="replace")
            except OSError:
                continue
            if "victoria-metrics" in cmd and str(state) in cmd:
                out.append(int(proc.name))
    return out


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[DemoProcess]:
    cfg = tmp_path / "vm.yaml"
    cfg.write_text("tsdb: {backend: victoriametrics}\n")
    d = DemoProcess(tmp_path / "state", tmp_path / "demo.out",
                    ["--duration", "120", "--interval", str(INTERVAL), "--config", str(cfg)])
    try:
        yield d
    finally:
        if d.proc.poll() is None:
            d.stop()
        d.kill()


def test_demo_polls_into_victoriametrics_and_answers_history(demo: DemoProcess) -> None:
    start = time.time()
    health = demo.wait_for("the store and three cycles", lambda: (
        h := demo.get("/api/v1/health"))["poller"]["cycles"] >= 3 and h, 90)
    assert health["influxdb"]["ok"] and health["influxdb"]["url"].startswith("http://127.0.0.1:")
    assert len(_servers(demo.state)) == 3
    link = demo.get("/api/v1/links", limit=1)["items"][0]["id"]
    frm = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(start - 60))

    def raw() -> list[dict[str, object]]:
        body = demo.get(f"/api/v1/links/{link}/history", **{"from": frm, "metrics": "in_bps"})
        assert body["resolution"] == "raw"
        return body["series"]["in_bps"]

    steps = demo.wait_for("raw samples read back from victoria-metrics", lambda: len(raw()) >= 2,
                          60)
    assert steps
    timeline = demo.wait_for("the link's status change written", lambda: [
        x for x in demo.get(f"/api/v1/links/{link}/timeline", **{"from": frm})["intervals"]
        if x["status"] == "up"], 60)
    assert timeline[0]["reason"] == "up"
    assert demo.stop() == 0
    assert not _servers(demo.state)  # every server the demo started is stopped

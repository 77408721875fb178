"""`provnet alerts ...` as a user runs it (subprocess) on a state dir holding a real incident;
`test-notify` against a real HTTP webhook receiver."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.support.notify_receivers import HttpReceiver
from tests.unit.test_alert_incidents import POP_DOWN, World

pytestmark = pytest.mark.integration


def cli(state: Path, *args: str, config: Path | None = None) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "provnet.cli", "alerts", *args, "--state-dir", str(state)]
    if config is not None:
        cmd += ["--config", str(config)]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def state(tmp_path_factory: pytest.TempPathFactory) -> Path:
    state = tmp_path_factory.mktemp("cli")
    w = World(state / "inventory.sqlite")
    w.cycle(set(), set())
    w.cycle(*POP_DOWN)
    w.store.close()
    return state


def test_list_history_ack_silence(state: Path) -> None:
    out = cli(state, "list")
    assert out.returncode == 0, out.stderr
    assert "#1" in out.stdout and "Site 2 Tri Tôn mất kết nối" in out.stdout
    out = cli(state, "history", "1")
    assert out.returncode == 0, out.stderr
    assert "UB-10" in out.stdout and "child" in out.stdout and "notified" in out.stdout
    out = cli(state, "ack", "1", "--owner", "Trần Thị Bình", "--expires", "30m")
    assert out.returncode == 0 and "acknowledged by Trần Thị Bình" in out.stdout, out.stderr
    assert "acknowledged" in cli(state, "list", "--status", "acknowledged").stdout
    out = cli(state, "ack", "99", "--owner", "x")
    assert out.returncode == 1 and "no incident with id 99" in out.stderr
    out = cli(state, "silence", "--duration", "2h", "--by", "an", "--district", "891")
    assert out.returncode == 0 and out.stdout.startswith("silence 1 until"), out.stderr
    out = cli(state, "silence", "--duration", "2h", "--by", "an")
    assert out.returncode == 1 and "at least one matcher" in out.stderr
    out = cli(state, "silence", "--duration", "soon", "--by", "an", "--site", "X")
    assert out.returncode == 1 and "bad duration" in out.stderr


def test_test_notify_reports_each_channel(state: Path, tmp_path: Path) -> None:
    hook = HttpReceiver().start()
    try:
        config = tmp_path / "c.yaml"
        config.write_text(yaml.safe_dump({"alerts": {"notify": {
            "webhook": {"enabled": True, "url": hook.url + "/hook"},
            "email": {"enabled": True, "host": "127.0.0.1", "port": 9,  # nothing listens
                      "recipients": ["noc@example.vn"], "timeout_s": 2}}}}), encoding="utf-8")
        out = cli(state, "test-notify", config=config)
        assert out.returncode == 1  # e-mail failed
        lines = dict(line.split(None, 1) for line in out.stdout.strip().splitlines())
        assert lines["webhook"].startswith("delivered")
        assert lines["email"].startswith("failed")
        assert [b["event"] for b in hook.bodies()] == ["test"]
    finally:
        hook.stop()

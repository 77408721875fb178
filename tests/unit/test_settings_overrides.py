"""CLI overrides (``--interval``, ``--port``) change one key of a section and keep the rest of
that section from the YAML file (``provnet demo --interval 5 --config x.yaml`` with
``poller: {workers: 2}`` polls in two worker processes)."""

from __future__ import annotations

from pathlib import Path

from provnet.config.settings import load_settings


def test_override_keeps_the_rest_of_the_section(tmp_path: Path) -> None:
    cfg = tmp_path / "provnet.yaml"
    cfg.write_text("poller: {workers: 2, concurrency: 33}\napi: {port: 9999}\n", encoding="utf-8")
    s = load_settings(cfg, poller={"interval_s": 5.0}, api={"host": "127.0.0.2"}, state_dir=None)
    assert (s.poller.workers, s.poller.concurrency, s.poller.interval_s) == (2, 33, 5.0)
    assert (s.api.host, s.api.port) == ("127.0.0.2", 9999)
    assert load_settings(None, poller={"interval_s": 7.0}).poller.interval_s == 7.0

"""Optic readings into alerts, on real processes: `provnet demo` polls the simulated routers'
optics over SNMP (the simulator drops Rx to -40 dBm at both ends of a down link); with the
optic_rx_low rule (Rx below -25 dBm) the PoP uplink's fault raises optical alerts, grouped
under the link's incident (suppressed: the link is the root cause)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.integration.test_alerts_e2e import POP, RULES, _seed
from tests.support.demo_proc import DemoProcess
from tests.support.helpers import stop_process

pytestmark = pytest.mark.integration
INTERVAL = 4.0
DOWN_AT = 8
OPTIC_RULE = {"name": "optic_rx_low", "metric": "optic.rx_dbm", "op": "below", "raise": -25,
              "clear": -23, "for": 0, "severity": "major"}


def test_optic_rx_low_from_polled_optics(tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir()
    _seed(state)
    rules = tmp_path / "rules.yaml"
    rules.write_text(yaml.safe_dump({"rules": [*RULES["rules"], OPTIC_RULE]}), encoding="utf-8")
    config = tmp_path / "provnet.yaml"
    config.write_text(yaml.safe_dump({"alerts": {"rules_file": str(rules)},
                                      "ssh": {"enabled": False}}), encoding="utf-8")
    demo = DemoProcess(state, state / "demo.out",
                       ["--duration", "120", "--interval", str(INTERVAL), "--config", str(config)],
                       [f"{POP}:link-down@{DOWN_AT}"])
    proc, log = demo.proc, demo.log
    optic: list[dict[str, Any]] = []
    try:
        deadline = time.monotonic() + DOWN_AT + 60
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                items = demo.get("/api/v1/alerts/alerts", rule="optic_rx_low")["items"]
            except httpx.HTTPError:
                items = []
            optic = [a for a in items if a["site"] in (POP, "AG-CORE") and a["state"] == "firing"]
            if optic:
                break
            time.sleep(0.5)
        assert optic, f"no optic_rx_low alert\n{log.read_text()[-3000:]}"
        link_alerts = demo.get("/api/v1/alerts/alerts", rule="link_down", site=POP)["items"]
        quiet = [a for a in demo.get("/api/v1/alerts/alerts", rule="optic_rx_low")["items"]
                 if a["site"] not in (POP, "AG-CORE") and a["state"] == "firing"]
        stop_process(proc, timeout_s=20)
    finally:
        if proc.poll() is None:
            stop_process(proc, timeout_s=5)
    alert = optic[0]
    assert alert["entity"].startswith("optic:") and alert["value"] <= -25.0
    assert alert["value"] == pytest.approx(-40.0, abs=0.5)  # no light on a down link
    assert not quiet  # healthy links (around -3 to -10 dBm) raise nothing
    link = [a for a in link_alerts if a["state"] == "firing"]
    assert link, link_alerts
    # the optical alert is a consequence: it joins the link's incident, suppressed
    assert alert["incident_id"] == link[0]["incident_id"] and alert["suppressed"] is True

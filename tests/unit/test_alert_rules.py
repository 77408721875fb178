"""Alert rules: the shipped file loads, bad files fail naming the file and key, overrides."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from provnet.alerts.errors import RulesError
from provnet.alerts.rules import load_rules, parse_duration, parse_rules

BASE = {"name": "util", "metric": "if.util_pct", "op": "above", "raise": 90, "clear": 80}


def test_default_rules_cover_the_issue() -> None:
    rs = load_rules()
    assert {"link_down", "device_unreachable", "utilisation_high", "interface_errors",
            "interface_discards", "optic_rx_low", "optic_rx_falling", "latency_high",
            "packet_loss", "bts_site_down", "poll_failing"} <= set(rs.by_name)
    assert rs.by_name["link_down"].cause == "link"
    assert rs.by_name["device_unreachable"].cause == "device"


@pytest.mark.parametrize(("text", "seconds"), [
    ("30", 30.0), (45, 45.0), ("30s", 30.0), ("5m", 300.0), ("1.5h", 5400.0), ("1d", 86400.0)])
def test_parse_duration(text: Any, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(("data", "message"), [
    ({"rules": [{**BASE, "clear": 95}]}, "rules.0: Value error, clear (95.0) must be at or below"),
    ({"rules": [{**BASE, "op": "bigger"}]}, "rules.0.op"),
    ({"rules": [{**BASE, "for": "5 minutes"}]}, "rules.0.for"),
    ({"rules": [{**BASE, "colour": "red"}]}, "rules.0.colour: Extra inputs"),
    ({"rules": [BASE, BASE]}, "duplicate rule name(s): util"),
    ({"rules": [BASE], "overrides": [{"match": {"site": "X"}, "rules": ["nope"], "set": {}}]},
     "overrides.0.rules: unknown rule(s) nope"),
    ({"rules": [BASE], "overrides": [{"match": {"site": "X"}, "set": {"raise": 10}}]},
     "overrides.0.set: (top): Value error, clear (80.0) must be at or below raise (10.0)"),
    ({"rules": [BASE], "overrides": [{"match": {"planet": "X"}, "set": {}}]},
     "overrides.0.match.planet"),
    ({"rules": [BASE], "overrides": [{"match": {}, "set": {}}]}, "overrides.0"),
])
def test_bad_rules_name_file_and_key(data: dict[str, Any], message: str) -> None:
    with pytest.raises(RulesError) as err:
        parse_rules(data, "rules.yaml")
    assert str(err.value).startswith("rules.yaml: ")
    assert message in str(err.value)


def test_unreadable_file_named(tmp_path: Path) -> None:
    bad = tmp_path / "r.yaml"
    bad.write_text("rules: [\n", encoding="utf-8")
    with pytest.raises(RulesError, match=str(bad)):
        load_rules(bad)


@pytest.mark.parametrize(("labels", "raise_", "severity"), [
    ({}, 90.0, "warning"),
    ({"district": "891"}, 95.0, "warning"),
    ({"district": "891", "site": "POP-891"}, 95.0, "critical"),
    ({"site": "POP-891"}, 90.0, "critical"),
    ({"role": "core"}, 90.0, "warning"),
])
def test_overrides_apply_in_file_order(labels: dict[str, str], raise_: float,
                                       severity: str) -> None:
    rs = parse_rules({"rules": [BASE], "overrides": [
        {"match": {"district": "891"}, "set": {"raise": 95, "clear": 85}},
        {"match": {"site": "POP-891"}, "rules": ["util"], "set": {"severity": "critical"}},
    ]})
    eff = rs.effective(rs.by_name["util"], labels)
    assert (eff.raise_, eff.severity) == (raise_, severity)

"""The alert engine, table-driven: a script of (time, value) per case -> the transitions."""

from __future__ import annotations

from typing import Any

import pytest

from provnet.alerts.engine import Engine, Observation
from provnet.alerts.rules import parse_rules

UTIL = {"name": "util", "metric": "if.util_pct", "op": "above", "raise": 90, "clear": 80}
LINK = {"name": "link_down", "metric": "link.up", "op": "below", "raise": 0.5, "clear": 0.5,
        "clear_for": 20, "flap": {"changes": 4, "window": 300, "hold": 120}}


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def run(rule: dict[str, Any], script: list[tuple[float, float | None]]) -> list[tuple[float, str]]:
    """Feed one value per step (None = no observation, only time passes)."""
    clock = Clock()
    eng = Engine(parse_rules({"rules": [rule]}), clock)
    out: list[tuple[float, str]] = []
    for t, v in script:
        clock.now = t
        obs = [] if v is None else [Observation("e:1", rule["metric"], v, t)]
        out += [(tr.time, tr.change) for tr in eng.evaluate(obs)]
    return out


@pytest.mark.parametrize(("rule", "script", "expected"), [
    pytest.param(UTIL, [(0, 50), (10, 95), (20, 50)],
                 [(10, "pending"), (10, "firing"), (20, "resolved")], id="fires-at-once"),
    pytest.param({**UTIL, "for": 30}, [(0, 95), (10, 95), (20, 95), (30, 95), (40, 50)],
                 [(0, "pending"), (30, "firing"), (40, "resolved")], id="for-elapses"),
    pytest.param({**UTIL, "for": 30}, [(0, 95), (10, 95), (20, 50), (30, 95)],
                 [(0, "pending"), (20, "cancelled"), (30, "pending")], id="for-interrupted"),
    pytest.param(UTIL, [(0, 95), (10, 85), (20, 85), (30, 79)],
                 [(0, "pending"), (0, "firing"), (30, "resolved")], id="hysteresis-holds"),
    pytest.param(UTIL, [(0, 85), (10, 89.9), (20, 90)], [], id="below-raise-never-fires"),
    pytest.param({**UTIL, "clear_for": 20}, [(0, 95), (10, 50), (20, 50), (30, 50)],
                 [(0, "pending"), (0, "firing"), (30, "resolved")], id="clear-for"),
    pytest.param({**UTIL, "clear_for": 20, "flap": {"changes": 9}},
                 [(0, 95), (10, 50), (20, 95), (30, 50), (40, None), (50, None)],
                 [(0, "pending"), (0, "firing"), (50, "resolved")], id="clear-for-restarts"),
    pytest.param({**UTIL, "for": 30}, [(0, 95), (10, None), (20, None), (30, None)],
                 [(0, "pending"), (30, "firing")], id="timer-without-new-samples"),
    pytest.param({**UTIL, "enabled": False}, [(0, 95)], [], id="disabled"),
    pytest.param(LINK, [(0, 1), (10, 0), (20, 1), (30, 1), (40, 1)],
                 [(10, "pending"), (10, "firing"), (40, "resolved")], id="link-down-up"),
    # down/up every 10 s: one firing, held open as flapping, one resolution after the hold
    pytest.param(LINK, [(0, 1), (10, 0), (20, 1), (30, 0), (40, 1), (50, 0), (60, 1), (70, 0),
                        (80, 1), *[(90 + 10 * i, 1) for i in range(14)]],
                 [(10, "pending"), (10, "firing"), (40, "flapping"), (200, "resolved")],
                 id="flapping-held-open"),
    # slow flaps (longer than clear_for): a second firing, then flapping holds it open
    pytest.param(LINK, [(0, 0), (10, 1), (40, 1), (50, 0), (60, 1), (90, 1), (100, 0),
                        (110, 1), (150, 1), (200, 1), (240, 1)],
                 [(0, "pending"), (0, "firing"), (40, "resolved"),
                  (50, "pending"), (50, "firing"), (60, "flapping"), (240, "resolved")],
                 id="slow-flaps-second-fire-then-held"),
])
def test_transitions(rule: dict[str, Any], script: list[tuple[float, float | None]],
                     expected: list[tuple[float, str]]) -> None:
    assert run(rule, script) == expected


SLOPE = {"name": "rx_falling", "metric": "optic.rx_dbm", "op": "below", "raise": -2,
         "clear": -0.5, "mode": "slope", "slope_window": 3600}


@pytest.mark.parametrize(("series", "fires"), [
    ([(0, -10.0), (1800, -10.2), (3600, -10.3)], False),   # -0.3 dB/h: ageing, fine
    ([(0, -10.0), (900, -11.0), (1800, -12.0)], True),      # -4 dB/h: falling fast
    ([(0, -10.0), (600, -14.0)], False),                    # too little history for a slope
])
def test_slope_mode(series: list[tuple[float, float]], fires: bool) -> None:
    changes = [c for _, c in run(SLOPE, series)]
    assert ("firing" in changes) is fires


def test_override_changes_threshold_per_entity() -> None:
    clock = Clock()
    rs = parse_rules({"rules": [UTIL], "overrides": [
        {"match": {"site": "DEPT-01"}, "set": {"raise": 99, "clear": 90}}]})
    eng = Engine(rs, clock)
    out = eng.evaluate([Observation("if:1:1", "if.util_pct", 95, 0, {"site": "DEPT-01"}),
                        Observation("if:2:1", "if.util_pct", 95, 0, {"site": "UB-1"})])
    assert [(t.entity, t.change) for t in out] == [("if:2:1", "pending"), ("if:2:1", "firing")]


def test_restore_keeps_firing_without_new_transition() -> None:
    clock = Clock()
    rs = parse_rules({"rules": [LINK]})
    first = Engine(rs, clock)
    first.evaluate([Observation("link:1", "link.up", 0, 0)])
    second = Engine(rs, clock)
    second.restore(first.active())
    clock.now = 10
    assert second.evaluate([Observation("link:1", "link.up", 0, 10)]) == []
    clock.now = 40
    assert [t.change for t in second.evaluate([Observation("link:1", "link.up", 1, 40)])] == []
    clock.now = 60
    assert [t.change for t in second.evaluate([])] == ["resolved"]


def test_alert_of_a_removed_rule_resolves() -> None:
    clock = Clock()
    old = Engine(parse_rules({"rules": [LINK]}), clock)
    old.evaluate([Observation("link:1", "link.up", 0, 0)])
    new = Engine(parse_rules({"rules": [UTIL]}), clock)
    new.restore(old.active())
    assert [t.change for t in new.evaluate([])] == ["resolved"]
    assert new.active() == []

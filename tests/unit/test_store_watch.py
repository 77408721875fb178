"""Store warnings and restart backoff (pure)."""

from __future__ import annotations

import pytest

from provnet.tsdb.supervise import Backoff, StoreWatch


@pytest.mark.parametrize(("failures", "delay"), [(0, 1.0), (1, 2.0), (3, 8.0), (10, 60.0)])
def test_backoff_doubles_up_to_the_cap(failures: int, delay: float) -> None:
    assert Backoff(1.0, 60.0, failures).delay() == delay


def test_unwritable_is_said_once_then_cleared() -> None:
    w = StoreWatch(unwritable_after_s=300)
    assert w.observe(100, 10, 1000) == []
    assert w.observe(301, 10, 1000)[0].startswith("InfluxDB unwritable for 301 s")
    assert w.observe(400, 10, 1000) == []
    assert w.observe(None, 0, 1000) == ["InfluxDB writable again: the spool has been replayed"]


def test_spool_warning_comes_before_anything_is_dropped() -> None:
    w = StoreWatch(spool_warn_fraction=0.8)
    assert w.observe(1, 799, 1000) == []
    (text,) = w.observe(1, 800, 1000)
    assert "80%" in text and "dropped" in text
    assert w.observe(1, 990, 1000) == []
    assert w.observe(1, 100, 1000) == [] and not w.spool_warned
    assert w.observe(1, 10**9, 0) == []  # no limit: never full


def test_an_unwritable_store_fires_the_shipped_rule_after_five_minutes() -> None:
    from provnet.alerts.engine import Engine
    from provnet.alerts.rules import load_rules
    from provnet.features.influxd import store_observation

    class Spool:
        pending_points = 12

    now = [1000.0]
    engine = Engine(load_rules(), lambda: now[0])
    fired = []
    for step in range(0, 361, 10):  # 6 minutes of spooling, observed every 10 s
        now[0] = 1000.0 + step
        fired += [t for t in engine.evaluate([store_observation(Spool(), now[0])])
                  if t.rule == "store_unwritable" and t.change == "firing"]
    assert [t.time for t in fired] == [1300.0]
    Spool.pending_points = 0
    resolved = []
    for step in range(370, 431, 10):
        now[0] = 1000.0 + step
        resolved += [t for t in engine.evaluate([store_observation(Spool(), now[0])])
                     if t.rule == "store_unwritable" and t.change == "resolved"]
    assert len(resolved) == 1

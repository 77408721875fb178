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

"""The managed influxd's cache snapshot size (a catch-up setting, docs/deploy.md): a size, or
a clear error before anything starts."""

from __future__ import annotations

from pathlib import Path

import pytest

from provnet.tsdb.managed import SNAPSHOT_SIZE, ManagedInfluxd


@pytest.mark.parametrize("bad", ["", "lots", "256 m", "25MB", "-1m"])
def test_bad_snapshot_size_refused(tmp_path: Path, bad: str) -> None:
    with pytest.raises(ValueError, match="snapshot_size"):
        ManagedInfluxd(tmp_path, snapshot_size=bad)


def test_default_is_above_influxdb_default() -> None:
    assert SNAPSHOT_SIZE == "256m"

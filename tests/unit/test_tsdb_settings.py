"""``tsdb:`` settings (strict, secrets hidden) and how history retention maps onto
VictoriaMetrics' one ``-retentionPeriod`` per server."""

from __future__ import annotations

import pytest

from provnet.config.errors import ConfigError
from provnet.config.settings import Settings, load_settings
from provnet.tsdb.managed_vm import retention_flag


def test_backend_default_and_choice(tmp_path) -> None:  # type: ignore[no-untyped-def]
    assert Settings().tsdb.backend == "influxdb"
    path = tmp_path / "s.yaml"
    path.write_text("tsdb:\n  backend: victoriametrics\n  victoriametrics:\n"
                    "    url: http://127.0.0.1:8428\n    password: hemmelig\n")
    s = load_settings(path)
    assert s.tsdb.backend == "victoriametrics"
    assert s.tsdb.victoriametrics.url_5m is None and s.tsdb.victoriametrics.database == "provnet"
    assert "hemmelig" not in repr(s) and "hemmelig" not in str(s.model_dump())


@pytest.mark.parametrize("text", ["tsdb:\n  backend: prometheus\n",
                                  "tsdb:\n  victoriametrics:\n    ulr: http://x\n"])
def test_unknown_backend_or_key_fails(tmp_path, text: str) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "s.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError):
        load_settings(path)


@pytest.mark.parametrize(("days", "flag"), [(7, "7d"), (400, "400d"), (1825, "1825d"),
                                            (0, "100y"), (0.5, "12h"), (0.01, "1h"),
                                            (7.4, "178h")])
def test_retention_flag(days: float, flag: str) -> None:
    assert retention_flag(days) == flag


def test_the_documented_example_loads(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tests.support.helpers import readme_yaml

    s = load_settings(readme_yaml("VictoriaMetrics back-end", tmp_path / "vm.yaml"))
    vm = s.tsdb.victoriametrics
    assert s.tsdb.backend == "victoriametrics" and vm.url_1h == "http://vm-1h:8428"

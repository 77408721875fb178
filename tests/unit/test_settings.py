"""Settings are strict, validated once, and never print secrets."""

from pathlib import Path

import pytest

from provnet.config.errors import ConfigError
from provnet.config.settings import load_settings
from tests.support.helpers import readme_yaml


def test_defaults() -> None:
    s = load_settings()
    assert s.influx.url is None and s.poller.interval_s == 60
    assert s.sql_url().startswith("sqlite:///") and s.sql_url().endswith("inventory.sqlite")


@pytest.mark.parametrize(
    ("yaml_text", "needle"),
    [
        ("influx: {urll: http://x}\n", "urll"),
        ("pollerr: {}\n", "pollerr"),
        ("poller: {interval_s: -1}\n", "interval_s"),
        ("snmp_profiles: {a: {community: x, port: 70000}}\n", "port"),
        ("- just\n- a list\n", "mapping"),
        ("influx: [unclosed\n", "cannot read"),
    ],
)
def test_bad_config_names_the_problem(tmp_path: Path, yaml_text: str, needle: str) -> None:
    p = tmp_path / "provnet.yaml"
    p.write_text(yaml_text, encoding="utf-8")
    with pytest.raises(ConfigError, match=needle):
        load_settings(p)


def test_secrets_are_masked(tmp_path: Path) -> None:
    p = tmp_path / "provnet.yaml"
    p.write_text("influx: {password: hunter2, token: t0k3n}\n"
                 "snmp_profiles: {ub: {community: s3cret}}\n", encoding="utf-8")
    s = load_settings(p)
    dumped = s.model_dump_json() + repr(s) + str(s)
    for secret in ("hunter2", "t0k3n", "s3cret"):
        assert secret not in dumped
    assert s.snmp_profiles["ub"].community.get_secret_value() == "s3cret"


def test_overrides_and_database_url(tmp_path: Path) -> None:
    s = load_settings(state_dir=tmp_path, database_url="postgresql+psycopg://u@h/db")
    assert s.sql_url() == "postgresql+psycopg://u@h/db"
    assert load_settings(state_dir=tmp_path).sql_url() == f"sqlite:///{tmp_path}/inventory.sqlite"


def test_readme_configuration_example_loads(tmp_path: Path) -> None:
    """The README's configuration example stays valid as the settings evolve."""
    settings = load_settings(readme_yaml("Configuration", tmp_path / "provnet.yaml"))
    assert settings.traps.port == 162 and settings.ssh.default_credential == "noc"
    assert "s3cret" not in settings.model_dump_json()

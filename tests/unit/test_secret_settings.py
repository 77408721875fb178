"""Every secret-bearing setting is a secret type: ``provnet show-config`` never prints one."""

from __future__ import annotations

from pathlib import Path

import yaml
from typer.testing import CliRunner

from provnet.cli import app

MARK = "CanaryS3cret"
SECRETS = {
    "database_url": f"postgresql+psycopg://provnet:{MARK}-db@127.0.0.1/provnet",
    "influx": {"password": f"{MARK}-influx-pw", "token": f"{MARK}-influx-token"},
    "snmp_profiles": {"default": {"community": f"{MARK}-community"}},
    "traps": {"communities": [f"{MARK}-trap"],
              "v3_users": [{"user": "noc", "auth_key": f"{MARK}-auth", "priv_key": f"{MARK}-priv",
                            "engine_id": "8000000001020304"}]},
    "ssh": {"credentials": {"noc": {"username": "noc", "password": f"{MARK}-ssh",
                                    "enable_secret": f"{MARK}-enable"}}},
    "alerts": {"notify": {
        "webhook": {"url": f"https://hooks.example/{MARK}-path", "secret": f"{MARK}-hmac",
                    "headers": {"Authorization": f"Bearer {MARK}-bearer"}},
        "email": {"username": "provnet", "password": f"{MARK}-smtp", "starttls": True},
        "telegram": {"token": f"{MARK}-telegram"},
        "alertmanager": {"password": f"{MARK}-am"},
    }},
}


def test_show_config_prints_no_secret(tmp_path: Path) -> None:
    cfg = tmp_path / "provnet.yaml"
    cfg.write_text(yaml.safe_dump(SECRETS), encoding="utf-8")
    result = CliRunner().invoke(app, ["show-config", "--config", str(cfg)])
    assert result.exit_code == 0, result.output
    assert MARK not in result.output
    assert '"Authorization": "**********"' in result.output
    assert '"database_url": "**********"' in result.output


def test_every_secret_reaches_its_consumer(tmp_path: Path) -> None:
    from provnet.config.settings import load_settings

    cfg = tmp_path / "provnet.yaml"
    cfg.write_text(yaml.safe_dump(SECRETS), encoding="utf-8")
    s = load_settings(cfg)
    hook = s.alerts.notify.webhook
    assert hook.headers["Authorization"].get_secret_value() == f"Bearer {MARK}-bearer"
    assert hook.url is not None and MARK in hook.url.get_secret_value()
    assert MARK in s.sql_url()

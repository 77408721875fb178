"""``provnet user`` / ``provnet token`` in real processes on a state dir, and the tokens they
print checked by the API's authenticator: keyed hash only, expiry, revocation, networks."""

from __future__ import annotations

import datetime as dt
import stat
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import update
from typer.testing import CliRunner

from provnet.cli import app
from provnet.inventory import audit, auth
from provnet.inventory.auth_model import ApiToken
from provnet.inventory.store import open_store

pytestmark = pytest.mark.integration


@dataclass
class Ran:
    returncode: int
    stdout: str
    stderr: str


def cli(state: Path, *args: str, stdin: str | None = None) -> Ran:
    """The CLI in-process (a process start costs ~3 s; ``test_token_create_in_a_process``
    runs the real one)."""
    r = CliRunner().invoke(app, [*args, "--state-dir", str(state)], input=stdin)
    return Ran(r.exit_code, r.stdout, r.stderr)


def test_token_create_in_a_process(tmp_path: Path) -> None:
    state = tmp_path / "state"
    assert cli(state, "user", "add", "an", "--role", "viewer").returncode == 0
    r = subprocess.run([sys.executable, "-m", "provnet.cli", "token", "create", "an",
                        "--state-dir", str(state)], capture_output=True, text=True, timeout=60,
                       check=False)
    assert r.returncode == 0 and auth.TOKEN_RE.match(r.stdout.splitlines()[-1]), r.stderr


def test_users_and_tokens_from_the_cli(tmp_path: Path) -> None:
    state = tmp_path / "state"
    r = cli(state, "user", "add", "an", "--role", "operator", "--district", "886",
            "--password-stdin", stdin="mật khẩu\n")
    assert r.returncode == 0 and "operator, 886" in r.stdout, r.stderr
    assert cli(state, "user", "add", "an", "--role", "viewer").returncode == 2  # taken
    bad = cli(state, "user", "add", "x", "--role", "root")
    assert bad.returncode == 2 and "role 'root'" in bad.stderr
    r = cli(state, "user", "list")
    assert r.stdout.split("\t")[1:4] == ["an", "operator", "886"]

    made = cli(state, "token", "create", "an", "--expires", "90d")
    assert made.returncode == 0, made.stderr
    token = made.stdout.strip().splitlines()[-1]  # the last line, alone
    assert auth.TOKEN_RE.match(token)
    plain = cli(state, "token", "create", "an", "--network", "10.0.0.0/8").stdout.splitlines()[-1]
    assert cli(state, "token", "create", "nobody").returncode == 2

    secret_file = state / auth.SECRET_FILE
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
    db = (state / "inventory.sqlite").read_bytes()
    assert token.encode() not in db and token.split("_", 2)[2].encode() not in db

    store = open_store(f"sqlite:///{state / 'inventory.sqlite'}")
    try:
        a = auth.Authenticator(store, auth.server_secret(state), ttl_s=0)
        who = a.token(token, "127.0.0.1")
        assert who == auth.Identity("an", "operator", frozenset({"886"}), "token")
        assert a.token(token[:-1] + ("A" if token[-1] != "A" else "B"), "127.0.0.1") is None
        assert a.token(plain, "127.0.0.1") is None and a.token(plain, "10.9.8.7") is not None
        assert a.password("an", "mật khẩu") is not None and a.password("an", "sai") is None
        listed = cli(state, "token", "list").stdout
        assert token not in listed and f"pn_{token.split('_')[1]}_" in listed
        assert "last used 20" in listed.splitlines()[0]  # the use above was recorded
        # an expired token is refused
        with store.session() as s:
            s.execute(update(ApiToken).where(ApiToken.id == 2).values(
                expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)))
        assert a.token(plain, "10.9.8.7") is None
        # revoked from another process: refused
        assert cli(state, "token", "revoke", "1").returncode == 0
        assert a.token(token, "127.0.0.1") is None
        assert "revoked" in cli(state, "token", "list").stdout.splitlines()[0]
        assert cli(state, "token", "revoke", "99").returncode == 2
        # a disabled user's tokens stop working
        third = cli(state, "token", "create", "an").stdout.splitlines()[-1]
        assert a.token(third, "127.0.0.1") is not None
        assert cli(state, "user", "disable", "an").returncode == 0
        assert a.token(third, "127.0.0.1") is None
        with store.session() as s:  # every change from the CLI is in the audit log
            _, rows = audit.page(s, limit=100)
        actions = [e["action"] for e in reversed(rows)]
        assert actions[:2] == ["user.add", "token.create"] and "token.revoke" in actions
        assert actions[-1] == "user.disable" and rows[0]["actor"].startswith("cli:")
        assert not any(token in str(e) for e in rows)  # the prefix only
    finally:
        store.close()


def test_settings_reload_is_audited(tmp_path: Path) -> None:
    from pydantic import SecretStr

    from provnet.config.settings import SnmpProfile, load_settings
    from provnet.demo.seed import seed_demo
    from provnet.features import inventory
    from provnet.service import Service

    settings = load_settings(state_dir=tmp_path)
    store = open_store(settings.sql_url())
    seed_demo(store)
    svc = Service(settings, store)
    svc.load_plan()
    watch = inventory.attach(svc, None, None)
    new = settings.model_copy(update={"snmp_profiles": {
        **settings.snmp_profiles, "north": SnmpProfile(community=SecretStr("s3cr3t-comm"))}})
    watch.reload_settings(new)
    with store.session() as s:
        _, rows = audit.page(s, action="settings.reload")
    store.close()
    assert rows[0]["actor"] == "signal:SIGHUP"
    assert "north" in rows[0]["after"]["snmp_profiles"]
    assert "north" not in rows[0]["before"]["snmp_profiles"]
    assert "s3cr3t" not in str(rows[0])

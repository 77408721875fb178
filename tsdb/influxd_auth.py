"""The managed influxd's admin account: a generated password kept 0600 under the state dir.

influxd 1.x with ``auth-enabled = true`` lets the first admin user be created without
credentials; every later query and write needs them. The password is generated once
(``secrets``), written to ``<state_dir>/influxd.admin`` (mode 0600) and reused at every start.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from pydantic import SecretStr

from provnet.config.settings import InfluxSettings
from provnet.tsdb.client import InfluxQLReader
from provnet.tsdb.errors import TsdbError
from provnet.tsdb.influxql import quote_ident

ADMIN_USER = "provnet"
PASSWORD_FILE = "influxd.admin"


def admin_password(state_dir: Path) -> str:
    """The stored admin password, generated (and stored 0600) on first use."""
    path = Path(state_dir) / PASSWORD_FILE
    try:
        return path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        pass
    password = secrets.token_urlsafe(24)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(password + "\n")
    return password


def ensure_admin(url: str, password: str, user: str = ADMIN_USER) -> None:
    """Create the admin user on a fresh server; check the password on a used one."""
    with InfluxQLReader(url, "", user, password, timeout_s=5.0) as authed:
        try:
            authed.query("SHOW DATABASES")
            return  # the account exists and the password is right
        except TsdbError:
            pass
    with InfluxQLReader(url, "", timeout_s=5.0) as anonymous:
        try:
            # accepted without credentials only while the server has no user at all
            anonymous.query(f"CREATE USER {quote_ident(user)} WITH PASSWORD "
                            f"'{password}' WITH ALL PRIVILEGES")
        except TsdbError as exc:
            raise TsdbError(
                f"the managed influxd at {url} refuses the admin password stored in "
                f"{PASSWORD_FILE} (the file was replaced or the data directory comes from "
                f"another installation): {exc}") from exc


def with_managed_credentials(cfg: InfluxSettings, state_dir: Path) -> InfluxSettings:
    """``cfg`` as the managed influxd needs it: with no ``url`` configured and no account
    given, its generated admin account (from ``influxd.admin``, when it exists)."""
    path = Path(state_dir) / PASSWORD_FILE
    if cfg.url or cfg.username or not path.exists():
        return cfg
    return cfg.model_copy(update={"username": ADMIN_USER,
                                  "password": SecretStr(admin_password(state_dir))})

"""LDAP login against Debian's ``slapd`` started here on loopback (mdb database, a user in
two groups): the right password logs in with the role of its highest group, a wrong or empty
password does not, a name with LDAP metacharacters cannot inject, and the user shows up in the
local store (role kept in step) and the audit log."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from provnet.api.app import create_app
from provnet.api.audit import audit_router
from provnet.api.auth import ApiAuth
from provnet.api.login import login_router
from provnet.config.ldap import LdapSettings
from provnet.inventory import auth
from provnet.inventory.auth_ldap import LdapLogin
from provnet.inventory.auth_session import Sessions
from provnet.inventory.store import open_store
from provnet.pollers.live import LiveState
from tests.support.helpers import free_port, stop_process

pytestmark = pytest.mark.integration
SLAPD = shutil.which("slapd") or "/usr/sbin/slapd"
BASE = "dc=provnet,dc=test"
ROOT = f"cn=admin,{BASE}"
LDIF = f"""dn: {BASE}
objectClass: dcObject
objectClass: organization
o: provnet
dc: provnet

dn: ou=people,{BASE}
objectClass: organizationalUnit
ou: people

dn: ou=groups,{BASE}
objectClass: organizationalUnit
ou: groups

dn: uid=lan,ou=people,{BASE}
objectClass: inetOrgPerson
uid: lan
cn: Nguyễn Thị Lan
sn: Nguyễn
userPassword: mật khẩu LDAP

dn: uid=binh,ou=people,{BASE}
objectClass: inetOrgPerson
uid: binh
cn: Binh
sn: Binh
userPassword: binh-pass

dn: cn=noc-viewers,ou=groups,{BASE}
objectClass: groupOfNames
cn: noc-viewers
member: uid=lan,ou=people,{BASE}
member: uid=binh,ou=people,{BASE}

dn: cn=noc-operators,ou=groups,{BASE}
objectClass: groupOfNames
cn: noc-operators
member: uid=lan,ou=people,{BASE}
"""


@pytest.fixture(scope="module")
def ldap_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not Path(SLAPD).exists():
        pytest.fail("slapd is missing: make test installs it (APT_TEST_PKGS)")
    d = tmp_path_factory.mktemp("slapd")
    (d / "db").mkdir()
    conf = d / "slapd.conf"
    conf.write_text("\n".join([
        *(f"include /etc/ldap/schema/{s}.schema" for s in ("core", "cosine", "inetorgperson")),
        "modulepath /usr/lib/ldap", "moduleload back_mdb", f"pidfile {d / 'slapd.pid'}",
        "database mdb", f'suffix "{BASE}"', f'rootdn "{ROOT}"', "rootpw root-secret",
        f"directory {d / 'db'}", "maxsize 10485760"]) + "\n")
    port = free_port()
    url = f"ldap://127.0.0.1:{port}"
    proc = subprocess.Popen([SLAPD, "-f", str(conf), "-h", f"{url}/", "-d", "0"],
                            stdout=subprocess.DEVNULL, stderr=(d / "slapd.log").open("wb"))
    try:
        deadline = time.monotonic() + 20
        while True:
            added = subprocess.run(["ldapadd", "-x", "-H", url, "-D", ROOT, "-w", "root-secret"],
                                   input=LDIF.encode(), capture_output=True, check=False)
            if added.returncode == 0:
                break
            assert proc.poll() is None and time.monotonic() < deadline, (
                added.stderr, (d / "slapd.log").read_text(errors="replace"))
            time.sleep(0.2)
        yield url
    finally:
        stop_process(proc)


def test_ldap_bind_logs_in_with_the_group_role(ldap_url: str, tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'inv.sqlite'}")
    cfg = LdapSettings(enabled=True, url=ldap_url, user_dn=f"uid={{user}},ou=people,{BASE}",
                       role_groups={"viewer": f"cn=noc-viewers,ou=groups,{BASE}",
                                    "operator": f"cn=noc-operators,ou=groups,{BASE}"})
    ldap = LdapLogin(cfg, store)
    assert ldap("lan", "mật khẩu LDAP") == auth.Identity("lan", "operator", frozenset(), "ldap")
    assert ldap("binh", "binh-pass").role == "viewer"  # type: ignore[union-attr]
    assert ldap("lan", "wrong") is None
    assert ldap("lan", "") is None  # an unauthenticated bind is not a login
    assert ldap("nobody", "x") is None
    assert ldap("*", "x") is None and ldap("lan,ou=people", "mật khẩu LDAP") is None
    assert LdapLogin(cfg.model_copy(update={"url": f"ldap://127.0.0.1:{free_port()}",
                                            "timeout_s": 1}), store)("lan", "x") is None
    # none of the groups and no default role: no login
    none = LdapLogin(cfg.model_copy(update={"role_groups": {}}), store)
    assert none("lan", "mật khẩu LDAP") is None
    assert {u.name: u.role for u in auth.list_users(store)} == {"lan": "operator",
                                                                "binh": "viewer"}

    # through the login page: a session, and the audit log names the user
    a = auth.Authenticator(store, auth.server_secret(tmp_path))
    sessions = Sessions(a)
    app = create_app(_ctx(store, ApiAuth(a, session=sessions, login_page=True)),
                     [login_router(a, sessions, ldap=ldap), audit_router(store)])
    c = TestClient(app, follow_redirects=False)
    c.get("/login")
    r = c.post("/login", data={"username": "lan", "password": "mật khẩu LDAP",
                               "csrf": c.cookies["provnet_csrf"], "next": "/api/v1/devices"})
    assert r.status_code == 303, r.text
    assert c.get("/api/v1/devices").status_code == 200
    assert c.get("/api/v1/audit").status_code == 403  # an operator
    store.close()


def _ctx(store: object, guard: ApiAuth) -> object:
    from provnet.api.context import ApiContext

    return ApiContext(store=store, live=LiveState(), auth=guard)  # type: ignore[arg-type]

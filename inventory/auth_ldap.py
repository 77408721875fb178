"""LDAP / Active Directory bind (``ldap3``): a login's password checked by the directory.

The user binds as itself (``user_dn`` with the escaped name); its role comes from group
membership (``role_groups``, the highest wins) or ``default_role``. A successful login makes or
updates a local user of that name and role (no password hash), so sessions and the audit log
name it like any other user.
"""

from __future__ import annotations

import datetime as dt
import math

import ldap3
from ldap3.core.exceptions import LDAPException
from ldap3.utils.conv import escape_filter_chars
from ldap3.utils.dn import escape_rdn
from sqlalchemy import select

from provnet.config.ldap import LdapSettings
from provnet.inventory.auth import NAME_RE, RANK, Identity, Role
from provnet.inventory.auth_model import User
from provnet.inventory.store import Store


class LdapLogin:
    """``(name, password) -> Identity | None`` against one directory."""

    def __init__(self, cfg: LdapSettings, store: Store) -> None:
        self.cfg, self.store = cfg, store

    def __call__(self, name: str, password: str) -> Identity | None:
        # an empty password is an "unauthenticated bind", which many servers accept
        if not password or not NAME_RE.match(name):
            return None
        dn = self.cfg.user_dn.format(user=escape_rdn(name))
        wait = max(1, math.ceil(self.cfg.timeout_s))  # ldap3 packs these as integers
        server = ldap3.Server(self.cfg.url, connect_timeout=wait)
        try:
            conn = ldap3.Connection(server, user=dn, password=password,
                                    receive_timeout=wait, raise_exceptions=False)
            if self.cfg.start_tls and not conn.start_tls():
                return None
            if not conn.bind():
                return None
            role = self._role(conn, dn)
            conn.unbind()
        except LDAPException:
            return None
        if role is None:
            return None
        self._sync(name, role)
        return Identity(name, role, frozenset(), "ldap")

    def _role(self, conn: ldap3.Connection, dn: str) -> Role | None:
        best: Role | None = self.cfg.default_role
        for role, group in self.cfg.role_groups.items():
            found = conn.search(group, f"(member={escape_filter_chars(dn)})",
                                search_scope=ldap3.BASE, attributes=[])
            if found and conn.entries and (best is None or RANK[role] > RANK[best]):
                best = role
        return best

    def _sync(self, name: str, role: Role) -> None:
        with self.store.session() as s:
            u = s.scalar(select(User).where(User.name == name))
            if u is None:
                s.add(User(name=name, role=role, districts="", password_hash=None,
                           disabled=False, created_at=dt.datetime.now(dt.UTC)))
            elif not u.disabled:
                u.role = role

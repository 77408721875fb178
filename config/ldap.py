"""LDAP / Active Directory bind: an optional login path for the pages (``api/login.py``)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from provnet.config.base import Strict


class LdapSettings(Strict):
    """Check a login's password by binding as the user; the role from group membership."""

    enabled: bool = False
    url: str = "ldap://127.0.0.1:389"
    #: bind DN of a user; ``{user}`` is the login name, escaped. Active Directory:
    #: ``{user}@stttt.angiang.gov.vn`` (userPrincipalName)
    user_dn: str = "uid={user},ou=people,dc=example,dc=vn"
    #: role -> group DN; the highest role whose group lists the user (``member``) wins
    role_groups: dict[Literal["viewer", "operator", "admin"], str] = Field(default_factory=dict)
    #: role of a user in none of the groups; None: such a user cannot log in
    default_role: Literal["viewer", "operator", "admin"] | None = None
    start_tls: bool = False
    timeout_s: float = Field(default=5.0, gt=0, le=60)

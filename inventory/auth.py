"""Identity: users with roles and district scopes, API tokens kept as keyed hashes.

Passwords are hashed with argon2id (``argon2-cffi``). A token is ``pn_<prefix>_<secret>``:
it is shown once; the store keeps only HMAC-SHA256(server secret, token) and the visible
prefix. The server secret lives in ``<state_dir>/auth.secret`` (0600), made on first use.
No web framework here: the API's middleware (``api/auth.py``) calls :class:`Authenticator`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import ipaddress
import logging
import os
import re
import secrets
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from provnet.inventory.auth_model import ApiToken, User
from provnet.inventory.errors import InventoryError
from provnet.inventory.store import Store

log = logging.getLogger(__name__)

Role = Literal["viewer", "operator", "admin"]
ROLES: tuple[Role, ...] = ("viewer", "operator", "admin")
#: a route's required level; ``public`` needs no identity
RANK = {"public": 0, "viewer": 1, "operator": 2, "admin": 3}
TOKEN_RE = re.compile(r"^pn_([0-9a-f]{8})_([A-Za-z0-9_-]{20,100})$")
NAME_RE = re.compile(r"^[\w.@-]{1,120}$")
SECRET_FILE = "auth.secret"
_hasher = PasswordHasher()  # argon2id, the library's RFC 9106 low-memory profile


class AuthError(InventoryError):
    """A user or token operation that cannot be done (unknown user, bad value)."""


@dataclass(frozen=True, slots=True)
class Identity:
    """Who is calling: name, role, district scopes (empty: the whole province)."""

    name: str
    role: Role
    districts: frozenset[str] = frozenset()
    via: str = "token"

    def may(self, needed: str) -> bool:
        """True when the role reaches ``needed`` (viewer < operator < admin)."""
        return RANK[self.role] >= RANK[needed]

    def sees(self, district: str | None) -> bool:
        """True when the district is within the scope (unscoped users see every district)."""
        return not self.districts or (district is not None and district in self.districts)


# --- pure helpers ----------------------------------------------------------------------
def hash_password(password: str) -> str:
    """The argon2id hash of ``password``."""
    if not password:
        raise AuthError("empty password")
    return _hasher.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    """True when ``password`` matches ``stored`` (an argon2 hash); never raises."""
    if not stored or not password:
        return False
    try:
        return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def token_digest(secret: bytes, token: str) -> str:
    """HMAC-SHA256 of the token under the server secret (hex)."""
    return hmac.new(secret, token.encode(), hashlib.sha256).hexdigest()


def new_token() -> tuple[str, str]:
    """A fresh token and its visible prefix."""
    prefix = secrets.token_hex(4)
    return f"pn_{prefix}_{secrets.token_urlsafe(32)}", prefix


def parse_duration(text: str) -> dt.timedelta:
    """``90d``, ``12h``, ``30m``, ``2w`` -> a timedelta (``AuthError`` otherwise)."""
    m = re.fullmatch(r"\s*(\d{1,6})\s*([mhdw])\s*", text)
    if not m:
        raise AuthError(f"duration {text!r}: give a number and m, h, d or w (e.g. 90d)")
    unit = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}[m.group(2)]
    return dt.timedelta(**{unit: int(m.group(1))})


def parse_networks(items: Sequence[str]) -> str:
    """Validate CIDRs; the stored, comma-separated form."""
    try:
        return ",".join(str(ipaddress.ip_network(n.strip(), strict=False)) for n in items)
    except ValueError as exc:
        raise AuthError(f"allowed network: {exc}") from exc


def address_allowed(networks: str, address: str | None) -> bool:
    """True when no network is set, or ``address`` lies in one of them."""
    if not networks:
        return True
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    return any(ip in ipaddress.ip_network(n) for n in networks.split(","))


def server_secret(state_dir: Path) -> bytes:
    """The HMAC key, made once (32 random bytes, file 0600) and reused."""
    path = state_dir / SECRET_FILE
    try:
        return bytes.fromhex(path.read_text().strip())
    except FileNotFoundError:
        pass
    state_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    value = secrets.token_bytes(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first
        return bytes.fromhex(path.read_text().strip())
    with os.fdopen(fd, "w") as fh:
        fh.write(value.hex() + "\n")
    return value


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _aware(t: dt.datetime | None) -> dt.datetime | None:
    return t if t is None or t.tzinfo else t.replace(tzinfo=dt.UTC)


def _districts(codes: Sequence[str]) -> str:
    return ",".join(sorted({c.strip() for c in codes if c.strip()}))


def _identity(u: User, via: str) -> Identity:
    role: Role = u.role if u.role in ROLES else "viewer"  # type: ignore[assignment]
    return Identity(u.name, role, frozenset(filter(None, u.districts.split(","))), via)


# --- store operations --------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class UserRow:
    """A user as listed (never the hash)."""

    id: int
    name: str
    role: str
    districts: tuple[str, ...]
    disabled: bool
    has_password: bool


@dataclass(frozen=True, slots=True)
class TokenRow:
    """A token as listed: its prefix, never the token nor its hash."""

    id: int
    user: str
    prefix: str
    created_at: dt.datetime
    expires_at: dt.datetime | None
    last_used_at: dt.datetime | None
    networks: str
    revoked: bool


def add_user(store: Store, name: str, role: str, districts: Sequence[str] = (),
             password: str | None = None) -> UserRow:
    """Create a user; ``AuthError`` for a bad name or role or a name already taken."""
    if not NAME_RE.match(name):
        raise AuthError(f"user name {name!r}: letters, digits, . _ @ - (1-120)")
    if role not in ROLES:
        raise AuthError(f"role {role!r}: one of {', '.join(ROLES)}")
    pw = hash_password(password) if password is not None else None
    try:
        with store.session() as s:
            u = User(name=name, role=role, districts=_districts(districts), password_hash=pw,
                     disabled=False, created_at=_now())
            s.add(u)
            s.flush()
            return _user_row(u)
    except IntegrityError as exc:
        raise AuthError(f"user {name!r} exists already") from exc


def _user_row(u: User) -> UserRow:
    return UserRow(u.id, u.name, u.role, tuple(filter(None, u.districts.split(","))),
                   u.disabled, u.password_hash is not None)


def list_users(store: Store) -> list[UserRow]:
    """Every user, by name."""
    with store.session() as s:
        return [_user_row(u) for u in s.scalars(select(User).order_by(User.name))]


def set_disabled(store: Store, name: str, disabled: bool) -> None:
    """Disable (or enable) a user: its tokens and sessions stop working."""
    with store.session() as s:
        u = s.scalar(select(User).where(User.name == name))
        if u is None:
            raise AuthError(f"no user {name!r}")
        u.disabled = disabled


def set_user(store: Store, name: str, role: str | None = None,
             districts: Sequence[str] | None = None,
             disabled: bool | None = None) -> tuple[UserRow, UserRow]:
    """Change a user's role, district scope or state: (before, after); ``AuthError`` for an
    unknown user or role."""
    if role is not None and role not in ROLES:
        raise AuthError(f"role {role!r}: one of {', '.join(ROLES)}")
    with store.session() as s:
        u = s.scalar(select(User).where(User.name == name))
        if u is None:
            raise AuthError(f"no user {name!r}")
        before = _user_row(u)
        if role is not None:
            u.role = role
        if districts is not None:
            u.districts = _districts(districts)
        if disabled is not None:
            u.disabled = disabled
        s.flush()
        return before, _user_row(u)


def create_token(store: Store, secret: bytes, user: str, expires: dt.timedelta | None = None,
                 networks: Sequence[str] = (), comment: str | None = None) -> tuple[int, str]:
    """A new token for ``user``: (id, token). The token itself is not kept."""
    nets = parse_networks(networks)
    token, prefix = new_token()
    with store.session() as s:
        u = s.scalar(select(User).where(User.name == user))
        if u is None:
            raise AuthError(f"no user {user!r}")
        now = _now()
        row = ApiToken(user_id=u.id, prefix=prefix, digest=token_digest(secret, token),
                       created_at=now, expires_at=now + expires if expires else None,
                       networks=nets, revoked=False, comment=comment)
        s.add(row)
        s.flush()
        return row.id, token


def list_tokens(store: Store) -> list[TokenRow]:
    """Every token (prefix, owner, dates), by id."""
    with store.session() as s:
        rows = s.execute(select(ApiToken, User.name).join(User, User.id == ApiToken.user_id)
                         .order_by(ApiToken.id)).all()
        return [TokenRow(t.id, name, f"pn_{t.prefix}_", _aware(t.created_at),  # type: ignore[arg-type]
                         _aware(t.expires_at), _aware(t.last_used_at), t.networks, t.revoked)
                for t, name in rows]


def revoke_token(store: Store, token_id: int) -> None:
    """Revoke a token by id (``AuthError`` if there is none)."""
    with store.session() as s:
        t = s.get(ApiToken, token_id)
        if t is None:
            raise AuthError(f"no token {token_id}")
        t.revoked = True


class Authenticator:
    """Checks bearer tokens and passwords against the store; answers are kept ``ttl_s``.

    A token revoked or a user disabled from another process (the CLI) stops working within
    ``ttl_s``; ``last_used_at`` is written at most once per ``touch_s`` per token.
    """

    def __init__(self, store: Store, secret: bytes, ttl_s: float = 5.0,
                 touch_s: float = 60.0) -> None:
        self.store, self.secret, self.ttl_s, self.touch_s = store, secret, ttl_s, touch_s
        self._cache: dict[str, tuple[float, Identity | None, str]] = {}
        self._touched: dict[str, float] = {}
        self._lock = threading.Lock()
        self._toucher = ThreadPoolExecutor(1, thread_name_prefix="token-use")

    def token(self, token: str, address: str | None) -> Identity | None:
        """The identity of a valid, unexpired, unrevoked token used from an allowed address."""
        if not TOKEN_RE.match(token):
            return None
        digest = token_digest(self.secret, token)
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(digest)
        if hit is None or now - hit[0] > self.ttl_s:
            hit = (now, *self._lookup(digest))
            with self._lock:
                if len(self._cache) > 10_000:
                    self._cache.clear()
                self._cache[digest] = hit
        _, ident, nets = hit
        if ident is None or not address_allowed(nets, address):
            return None
        if now - self._touched.get(digest, -1e9) > self.touch_s:
            self._touched[digest] = now
            # off the request's path: a write waits for the database's lock (another
            # process's long transaction, SQLite's 5 s busy wait), and a note of use is
            # not worth a slow or failed answer
            self._toucher.submit(self._touch, digest, _now())
        return ident

    def _touch(self, digest: str, at: dt.datetime) -> None:
        try:
            with self.store.session() as s:
                row = s.scalar(select(ApiToken).where(ApiToken.digest == digest))
                if row is not None:
                    row.last_used_at = at
        except SQLAlchemyError as exc:
            log.warning("token use not noted: %s", exc)

    def _lookup(self, digest: str) -> tuple[Identity | None, str]:
        with self.store.session() as s:
            found = s.execute(select(ApiToken, User).join(User, User.id == ApiToken.user_id)
                              .where(ApiToken.digest == digest)).first()
            if found is None:
                return None, ""
            t, u = found
            exp = _aware(t.expires_at)
            if t.revoked or u.disabled or (exp is not None and exp <= _now()):
                return None, ""
            return _identity(u, "token"), t.networks

    def password(self, name: str, password: str) -> Identity | None:
        """The identity of an enabled user whose password matches."""
        with self.store.session() as s:
            u = s.scalar(select(User).where(User.name == name))
            if u is None or u.disabled:
                verify_password(None, password)
                return None
            return _identity(u, "password") if verify_password(u.password_hash, password) \
                else None

    def user(self, name: str) -> Identity | None:
        """The identity of an enabled user by name (a session's owner)."""
        with self.store.session() as s:
            u = s.scalar(select(User).where(User.name == name))
            return None if u is None or u.disabled else _identity(u, "session")

"""Identity's pure parts: durations, allowed networks, token shape, argon2id, role lookup,
district scoping of list queries."""

from __future__ import annotations

import datetime as dt

import pytest

from provnet.api.auth import _scope_query
from provnet.api.roles import RoleTable
from provnet.inventory.auth import (
    TOKEN_RE,
    AuthError,
    Identity,
    address_allowed,
    hash_password,
    new_token,
    parse_duration,
    parse_networks,
    token_digest,
    verify_password,
)


@pytest.mark.parametrize(("text", "want"), [
    ("90d", dt.timedelta(days=90)), ("12h", dt.timedelta(hours=12)),
    ("30m", dt.timedelta(minutes=30)), ("2w", dt.timedelta(weeks=2)), (" 1d ", dt.timedelta(1)),
])
def test_durations(text: str, want: dt.timedelta) -> None:
    assert parse_duration(text) == want


@pytest.mark.parametrize("text", ["", "90", "d", "-1d", "1y", "1.5d", "1234567d"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(AuthError, match="duration"):
        parse_duration(text)


@pytest.mark.parametrize(("nets", "addr", "ok"), [
    ("", "203.0.113.9", True), ("", None, True),
    ("10.0.0.0/8", "10.1.2.3", True), ("10.0.0.0/8", "11.1.2.3", False),
    ("10.0.0.0/8,127.0.0.1/32", "127.0.0.1", True), ("10.0.0.0/8", None, False),
    ("10.0.0.0/8", "testclient", False), ("::1/128", "::1", True),
])
def test_allowed_networks(nets: str, addr: str | None, ok: bool) -> None:
    assert address_allowed(nets, addr) is ok


def test_networks_validated() -> None:
    assert parse_networks(["10.1.2.3/8", "::1"]) == "10.0.0.0/8,::1/128"
    with pytest.raises(AuthError):
        parse_networks(["10.0.0.300/8"])


def test_token_shape_and_keyed_hash() -> None:
    token, prefix = new_token()
    assert TOKEN_RE.match(token) and token.startswith(f"pn_{prefix}_")
    assert new_token()[0] != token
    d1, d2 = token_digest(b"k1", token), token_digest(b"k2", token)
    assert d1 != d2 and len(d1) == 64 and token not in d1  # the key matters


def test_argon2id() -> None:
    h = hash_password("mật khẩu đúng")
    assert h.startswith("$argon2id$")
    assert verify_password(h, "mật khẩu đúng")
    assert not verify_password(h, "sai")
    assert not verify_password(None, "x") and not verify_password("garbage", "x")
    with pytest.raises(AuthError):
        hash_password("")


@pytest.mark.parametrize(("method", "path", "role"), [
    ("GET", "/api/v1/health", "viewer"), ("HEAD", "/api/v1/links", "viewer"),
    ("GET", "/api/v1/devices/7/config", "operator"),
    ("GET", "/api/v1/devices/7/config/diff", "operator"),
    ("GET", "/api/v1/devices/7/config/12", "operator"),
    ("GET", "/api/v1/devices/7/history", "viewer"),
    ("POST", "/api/v1/alerts/incidents/3/ack", "operator"),
    ("PUT", "/api/v1/inventory/interfaces/r1/ge-0/0/1", "admin"),
    ("GET", "/api/v1/inventory/interfaces/r1/ge-0/0/1", "viewer"),
    ("GET", "/maps/communes/30448.svg", "viewer"), ("GET", "/maps/static/x.js", "public"),
    ("POST", "/login", "public"),
    ("POST", "/api/v1/links", "viewer"),  # known path, other method: FastAPI's 405 for viewers
    ("GET", "/nowhere", "admin"),  # unknown: nobody below admin learns it is unknown
])
def test_role_table(method: str, path: str, role: str) -> None:
    assert RoleTable().match(method, path)[1] == role


@pytest.mark.parametrize(("districts", "query", "refused", "after"), [
    ({"886"}, b"", False, b"district=886"),
    ({"886"}, b"limit=5", False, b"limit=5&district=886"),
    ({"886"}, b"district=886", False, b"district=886"),
    ({"886"}, b"district=887", True, None),
    ({"886", "887"}, b"", True, None),
    ({"886", "887"}, b"district=887", False, b"district=887"),
])
def test_district_scope_of_lists(districts: set[str], query: bytes, refused: bool,
                                 after: bytes | None) -> None:
    scope = {"query_string": query}
    why = _scope_query(scope, Identity("an", "operator", frozenset(districts)))
    assert bool(why) is refused
    if after is not None:
        assert scope["query_string"] == after


def test_identity_levels() -> None:
    op = Identity("an", "operator", frozenset({"886"}))
    assert op.may("viewer") and op.may("operator") and not op.may("admin")
    assert op.sees("886") and not op.sees("887") and not op.sees(None)
    assert Identity("b", "viewer").sees(None)


def test_login_limiter_locks_names_and_addresses() -> None:
    from provnet.inventory.auth_session import LoginLimiter

    lim = LoginLimiter(max_failures=3, max_address_failures=5, window_s=60, lockout_s=100)
    keys = ["user:an", "addr:10.0.0.1"]
    for t in (0, 1):
        lim.failed(keys, now=t)
    assert lim.locked(keys, now=2) == 0
    lim.failed(keys, now=2)
    assert lim.locked(["user:an"], now=3) == 99 and lim.locked(["addr:10.0.0.1"], now=3) == 0
    assert lim.locked(["user:an"], now=103) == 0  # the lock-out ends
    lim.failed(["user:bo", "addr:10.0.0.1"], now=3)
    lim.failed(["user:bo", "addr:10.0.0.1"], now=4)
    assert lim.locked(["addr:10.0.0.1"], now=5) == 99  # five failures from one address
    old = LoginLimiter(max_failures=2, window_s=10)
    old.failed(["user:x"], now=0)
    old.failed(["user:x"], now=20)  # the first is out of the window
    assert old.locked(["user:x"], now=21) == 0

"""Login sessions of the pages (cookie secret, keyed hash stored) and the login limiter."""

from __future__ import annotations

import datetime as dt
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass, field

from sqlalchemy import delete, select

from provnet.inventory.auth import Authenticator, Identity, token_digest
from provnet.inventory.auth_model import User, WebSession


class Sessions:
    """Sessions over the authenticator's store and secret; lookups kept ``ttl_s``."""

    def __init__(self, auth: Authenticator, lifetime_s: float = 12 * 3600,
                 ttl_s: float = 5.0) -> None:
        self.auth, self.lifetime_s, self.ttl_s = auth, lifetime_s, ttl_s
        self._cache: dict[str, tuple[float, Identity | None]] = {}
        self._lock = threading.Lock()

    def open(self, user: str) -> str:
        """A new session of ``user``: the cookie value (only its keyed hash is stored)."""
        value = secrets.token_urlsafe(32)
        now = dt.datetime.now(dt.UTC)
        with self.auth.store.session() as s:
            u = s.scalar(select(User).where(User.name == user))
            if u is None:
                raise LookupError(user)
            s.execute(delete(WebSession).where(WebSession.expires_at < now))
            s.add(WebSession(user_id=u.id, digest=token_digest(self.auth.secret, value),
                             created_at=now,
                             expires_at=now + dt.timedelta(seconds=self.lifetime_s)))
        return value

    def close(self, value: str) -> None:
        """End a session (logout)."""
        digest = token_digest(self.auth.secret, value)
        with self.auth.store.session() as s:
            s.execute(delete(WebSession).where(WebSession.digest == digest))
        with self._lock:
            self._cache.pop(digest, None)

    def __call__(self, value: str) -> Identity | None:
        """The identity of a live session cookie."""
        digest = token_digest(self.auth.secret, value)
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(digest)
        if hit is not None and now - hit[0] <= self.ttl_s:
            return hit[1]
        with self.auth.store.session() as s:
            found = s.execute(select(WebSession, User).join(User, User.id == WebSession.user_id)
                              .where(WebSession.digest == digest)).first()
            who = None
            if found is not None:
                ws, u = found
                exp = ws.expires_at if ws.expires_at.tzinfo else ws.expires_at.replace(
                    tzinfo=dt.UTC)
                if exp > dt.datetime.now(dt.UTC) and not u.disabled:
                    who = self.auth.user(u.name)
        with self._lock:
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[digest] = (now, who)
        return who


@dataclass
class LoginLimiter:
    """At most ``max_failures`` failed logins per user name (keys ``user:...``) and
    ``max_address_failures`` per address (``addr:...``, a NAT may hide several people) in
    ``window_s``; beyond that the name (or address) is locked out for ``lockout_s``."""

    max_failures: int = 5
    max_address_failures: int = 20
    window_s: float = 900.0
    lockout_s: float = 900.0
    _failures: dict[str, deque[float]] = field(default_factory=dict)
    _locked: dict[str, float] = field(default_factory=dict)

    def locked(self, keys: list[str], now: float | None = None) -> float:
        """Seconds left of the longest lock-out among ``keys`` (0: may try)."""
        now = time.monotonic() if now is None else now
        return max([0.0, *(self._locked.get(k, now) - now for k in keys)])

    def failed(self, keys: list[str], now: float | None = None) -> None:
        """Count a failure against every key; lock the ones over the limit."""
        now = time.monotonic() if now is None else now
        if len(self._failures) > 100_000:
            self._failures.clear()
        for k in keys:
            q = self._failures.setdefault(k, deque())
            q.append(now)
            while q and q[0] < now - self.window_s:
                q.popleft()
            limit = self.max_failures if k.startswith("user:") else self.max_address_failures
            if len(q) >= limit:
                self._locked[k] = now + self.lockout_s
                q.clear()

    def succeeded(self, keys: list[str]) -> None:
        """A good login clears the name's failures (not the address's lock)."""
        for k in keys:
            self._failures.pop(k, None)

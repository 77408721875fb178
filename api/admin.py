"""Users, tokens and settings over HTTP, for admins (issue 13; ``admin`` in ``api/roles.py``).

Users: list, create (role, district scope, optional password: argon2id, never echoed), change
role / districts / disabled. Tokens: list (prefix only), create (the token is in the answer
once, ``Cache-Control: no-store``; only its keyed hash is kept), revoke. Settings: the
effective settings with every secret as ``**********``, and a reload of the settings file
(what ``SIGHUP`` does). Every change is audited (``user.add``, ``user.update``,
``user.disable``, ``token.create`` (prefix only), ``token.revoke``, ``settings.reload``).
Cookie-session writes need the ``X-CSRF-Token`` header like every write (``api/auth.py``).
An admin cannot disable itself or take its own admin role (nobody would be left to undo it).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Request, Response
from pydantic import BaseModel, Field, SecretStr

from provnet.api.auth import author, identity
from provnet.api.params import DbId
from provnet.inventory import audit, auth
from provnet.inventory.store import Store

UserName = Annotated[str, Field(min_length=1, max_length=120, pattern=r"^[\w.@-]{1,120}$")]
Code = Annotated[str, Field(min_length=1, max_length=10, pattern=r"^[0-9A-Za-z_-]+$")]


class UserOut(BaseModel):
    """A user as listed: never its password hash."""

    id: int
    name: str
    role: str
    districts: list[str]
    disabled: bool
    has_password: bool


class UserIn(BaseModel):
    """A new user; ``password`` optional (token-only users, LDAP users)."""

    model_config = {"extra": "forbid"}
    name: UserName
    role: auth.Role
    districts: list[Code] = Field(default_factory=list, max_length=40)
    password: SecretStr | None = Field(default=None, min_length=8, max_length=1024)


class UserChange(BaseModel):
    """What to change: given fields replace the stored ones."""

    model_config = {"extra": "forbid"}
    role: auth.Role | None = None
    districts: list[Code] | None = Field(default=None, max_length=40)
    disabled: bool | None = None


class TokenIn(BaseModel):
    """A new token: expiry (``90d``, ``12h``; none: never) and allowed networks (CIDRs)."""

    model_config = {"extra": "forbid"}
    expires: str | None = Field(default=None, max_length=20, pattern=r"^\d{1,6}[mhdw]$")
    networks: list[Annotated[str, Field(max_length=43)]] = Field(default_factory=list,
                                                                  max_length=10)
    comment: str | None = Field(default=None, max_length=200)


class TokenMade(BaseModel):
    """The new token, shown this once."""

    id: int
    user: str
    prefix: str
    token: str
    expires_at: dt.datetime | None


class SettingsRefused(Exception):
    """A settings reload that cannot be done: ``status`` (409, 422) and the reason."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status


def _user(u: auth.UserRow) -> dict[str, Any]:
    return {**asdict(u), "districts": list(u.districts)}


def invalid(where: str, text: str) -> HTTPException:
    """A 422 in FastAPI's own shape (what the OpenAPI document declares for 422)."""
    return HTTPException(422, [{"loc": ["body", where], "msg": text, "type": "value_error"}])


def _refused(exc: auth.AuthError, where: str = "body") -> HTTPException:
    text = str(exc)
    if text.startswith("no user") or text.startswith("no token"):
        return HTTPException(404, text)
    return HTTPException(409, text) if "exists already" in text else invalid(where, text)


def admin_router(store: Store, secret: bytes, settings: Callable[[], Any],
                 reload: Callable[[audit.Who], dict[str, Any]]) -> APIRouter:
    """Users, tokens and settings; ``reload(who)`` re-reads the settings file (raises
    :class:`SettingsRefused`)."""
    r = APIRouter(prefix="/api/v1", tags=["administration"])

    def _audit(request: Request, action: str, target: str, before: Any, after: Any) -> None:
        with store.session() as s:
            audit.record(s, author(request), action, target, before, after)

    @r.get("/users", response_model=list[UserOut])
    def users() -> Any:
        """Every user, by name."""
        return [_user(u) for u in auth.list_users(store)]

    @r.post("/users", response_model=UserOut, status_code=201,
            responses={409: {"description": "the name is taken"}})
    def add_user(body: UserIn, request: Request) -> Any:
        """Create a user (the password is stored as an argon2id hash and never shown)."""
        pw = body.password.get_secret_value() if body.password else None
        try:
            made = auth.add_user(store, body.name, body.role, body.districts, pw)
        except auth.AuthError as exc:
            raise _refused(exc) from exc
        out = _user(made)
        _audit(request, "user.add", f"user {made.name}", None, out)
        return out

    @r.put("/users/{name}", response_model=UserOut,
           responses={404: {"description": "no such user"},
                      409: {"description": "an admin cannot lock itself out"}})
    def change_user(name: Annotated[str, UserName], body: UserChange, request: Request) -> Any:
        """Change a user's role, district scope, or disable / enable it (a disabled user's
        tokens and sessions stop working within seconds)."""
        me = identity(request)
        if me is not None and me.name == name and (
                body.disabled or (body.role is not None and body.role != "admin")):
            raise HTTPException(409, "an admin cannot disable itself or drop its own admin "
                                     "role; ask another admin")
        try:
            before, after = auth.set_user(store, name, body.role, body.districts,
                                          body.disabled)
        except auth.AuthError as exc:
            raise _refused(exc) from exc
        action = "user.disable" if body.disabled and not before.disabled else "user.update"
        _audit(request, action, f"user {name}", _user(before), _user(after))
        return _user(after)

    @r.get("/tokens", response_model=list[auth.TokenRow])
    def tokens() -> Any:
        """Every token: owner, prefix, dates, networks, state."""
        return [asdict(t) for t in auth.list_tokens(store)]

    @r.post("/users/{name}/tokens", response_model=TokenMade, status_code=201,
            responses={404: {"description": "no such user"}})
    def make_token(name: Annotated[str, UserName], body: TokenIn, request: Request,
                   response: Response) -> Any:
        """A new API token for the user: in this answer only (store it now)."""
        try:
            expires = auth.parse_duration(body.expires) if body.expires else None
            token_id, token = auth.create_token(store, secret, name, expires, body.networks,
                                                body.comment)
        except auth.AuthError as exc:
            raise _refused(exc, "networks" if "network" in str(exc) else "expires") from exc
        row = next(t for t in auth.list_tokens(store) if t.id == token_id)
        _audit(request, "token.create", f"token {token_id}", None,
               {"user": name, "prefix": row.prefix, "expires_at": row.expires_at,
                "networks": row.networks})
        response.headers["cache-control"] = "no-store"
        return {"id": token_id, "user": name, "prefix": row.prefix, "token": token,
                "expires_at": row.expires_at}

    @r.delete("/tokens/{token_id}", status_code=204,
              responses={404: {"description": "no such token"}})
    def revoke(token_id: DbId, request: Request) -> Response:
        """Revoke a token (refused from the next request on, within seconds)."""
        try:
            auth.revoke_token(store, token_id)
        except auth.AuthError as exc:
            raise _refused(exc) from exc
        _audit(request, "token.revoke", f"token {token_id}", None, {"revoked": True})
        return Response(status_code=204)

    @r.get("/settings")
    def show_settings() -> dict[str, Any]:
        """The effective settings (every secret as ``**********``)."""
        return dict(json.loads(settings().model_dump_json()))

    @r.post("/settings/reload", responses={409: {"description": "nothing to reload from"},
                                           422: {"description": "the file does not load"}})
    def reload_settings(request: Request) -> dict[str, Any]:
        """Re-read the settings file and take over what can change while running (SNMP
        profiles, poll profiles, alert rules), like ``SIGHUP``; a file that does not load
        keeps the running settings (422 with the reason)."""
        try:
            return reload(author(request))
        except SettingsRefused as exc:
            if exc.status == 422:
                raise invalid("settings file", str(exc)) from exc
            raise HTTPException(exc.status, str(exc)) from exc

    return r

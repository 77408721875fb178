"""``provnet user ...`` and ``provnet token ...``: who may use the API and the pages."""

from __future__ import annotations

import getpass
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from provnet.cli_common import open_settings_store
from provnet.inventory.errors import InventoryError

if TYPE_CHECKING:
    from provnet.inventory.store import Store

user_app = typer.Typer(no_args_is_help=True, help="Users: role viewer|operator|admin, districts")
token_app = typer.Typer(no_args_is_help=True, help="API tokens (Authorization: Bearer)")

ConfigOpt = Annotated[Path | None, typer.Option("--config", "-c", exists=True, dir_okay=False,
                                                 help="YAML settings file")]
StateOpt = Annotated[Path | None, typer.Option("--state-dir", help="where data and logs live")]


def _audit(store: Store, action: str, target: str, after: object = None) -> None:
    """Record a change made from the command line (actor ``cli:<login>``)."""
    from provnet.inventory import audit

    try:
        login = getpass.getuser()
    except (KeyError, OSError):
        login = str(os.getuid())
    with store.session() as s:
        audit.record(s, audit.Who(f"cli:{login}"), action, target, None, after)


def _fail(exc: Exception) -> typer.Exit:
    typer.echo(f"error: {exc}", err=True)
    return typer.Exit(2)


@user_app.command("add")
def user_add(name: str,
             role: Annotated[str, typer.Option(help="viewer, operator or admin")],
             district: Annotated[list[str] | None, typer.Option(
                 help="limit the user to this district (code); repeatable")] = None,
             password_stdin: Annotated[bool, typer.Option(
                 "--password-stdin", help="read the password from the first line of stdin")
             ] = False,
             config: ConfigOpt = None, state_dir: StateOpt = None) -> None:
    """Add a user (without --password-stdin it can only use tokens)."""
    from provnet.inventory import auth

    password = sys.stdin.readline().rstrip("\r\n") if password_stdin else None
    _, store = open_settings_store(config, state_dir)
    try:
        row = auth.add_user(store, name, role, district or (), password)
        _audit(store, "user.add", f"user {name}", {"role": row.role,
                                                   "districts": list(row.districts)})
    except InventoryError as exc:
        raise _fail(exc) from exc
    finally:
        store.close()
    scope = ", ".join(row.districts) or "all districts"
    typer.echo(f"user {row.name} (id {row.id}): {row.role}, {scope}")


@user_app.command("list")
def user_list(config: ConfigOpt = None, state_dir: StateOpt = None) -> None:
    """Users with their role and districts."""
    from provnet.inventory import auth

    _, store = open_settings_store(config, state_dir)
    try:
        for u in auth.list_users(store):
            flags = " disabled" if u.disabled else ""
            typer.echo(f"{u.id}\t{u.name}\t{u.role}\t{','.join(u.districts) or '*'}"
                       f"\t{'password' if u.has_password else '-'}{flags}")
    finally:
        store.close()


@user_app.command("disable")
def user_disable(name: str, config: ConfigOpt = None, state_dir: StateOpt = None) -> None:
    """Disable a user: its tokens and sessions stop working."""
    from provnet.inventory import auth

    _, store = open_settings_store(config, state_dir)
    try:
        auth.set_disabled(store, name, True)
        _audit(store, "user.disable", f"user {name}", {"disabled": True})
    except InventoryError as exc:
        raise _fail(exc) from exc
    finally:
        store.close()
    typer.echo(f"user {name} disabled")


@token_app.command("create")
def token_create(user: str,
                 expires: Annotated[str | None, typer.Option(
                     help="lifetime, e.g. 90d, 12h, 2w; default: never")] = None,
                 network: Annotated[list[str] | None, typer.Option(
                     help="accept the token only from this network (CIDR); repeatable")] = None,
                 config: ConfigOpt = None, state_dir: StateOpt = None) -> None:
    """Create a token; it is printed once, as the last line (only its hash is kept)."""
    from provnet.inventory import auth

    settings, store = open_settings_store(config, state_dir)
    try:
        life = auth.parse_duration(expires) if expires else None
        secret = auth.server_secret(settings.state_dir)
        token_id, token = auth.create_token(store, secret, user, life, network or ())
        _audit(store, "token.create", f"token {token_id}", {
            "user": user, "prefix": token.split("_")[1], "expires": expires,
            "networks": network or []})
    except InventoryError as exc:
        raise _fail(exc) from exc
    finally:
        store.close()
    typer.echo(f"token {token_id} for {user}"
               f"{f', expires in {expires}' if expires else ''}; shown once, keep it safe:")
    typer.echo(token)


@token_app.command("list")
def token_list(config: ConfigOpt = None, state_dir: StateOpt = None) -> None:
    """Tokens: id, owner, prefix, expiry, last use (never the token)."""
    from provnet.inventory import auth

    _, store = open_settings_store(config, state_dir)
    try:
        for t in auth.list_tokens(store):
            state = "revoked" if t.revoked else "active"
            exp = t.expires_at.isoformat(timespec="seconds") if t.expires_at else "never"
            used = t.last_used_at.isoformat(timespec="seconds") if t.last_used_at else "never"
            typer.echo(f"{t.id}\t{t.user}\t{t.prefix}…\texpires {exp}\tlast used {used}"
                       f"\t{t.networks or 'any address'}\t{state}")
    finally:
        store.close()


@token_app.command("revoke")
def token_revoke(token_id: int, config: ConfigOpt = None, state_dir: StateOpt = None) -> None:
    """Revoke a token by id."""
    from provnet.inventory import auth

    _, store = open_settings_store(config, state_dir)
    try:
        auth.revoke_token(store, token_id)
        _audit(store, "token.revoke", f"token {token_id}", {"revoked": True})
    except InventoryError as exc:
        raise _fail(exc) from exc
    finally:
        store.close()
    typer.echo(f"token {token_id} revoked")

"""Identity wiring: the API's authenticator, and the demo's first admin and operator."""

from __future__ import annotations

import json
import logging
import os
import secrets
from pathlib import Path
from typing import TYPE_CHECKING

from provnet.api.audit import audit_router
from provnet.api.auth import ApiAuth
from provnet.api.login import login_router
from provnet.inventory import auth
from provnet.inventory.auth_ldap import LdapLogin
from provnet.inventory.auth_session import Sessions
from provnet.inventory.scope import IndexCache
from provnet.inventory.store import Store

if TYPE_CHECKING:
    from provnet.config.settings import ApiSettings
    from provnet.service import Service

log = logging.getLogger(__name__)
DEMO_TOKENS = "demo-tokens.json"
DEMO_TOKEN = "demo-token"  # the admin token alone, for TOKEN=$(cat ...) in a shell


def _private_write(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(text)


def build_api_auth(store: Store, state_dir: Path, api: ApiSettings
                   ) -> tuple[ApiAuth, auth.Authenticator, Sessions]:
    """Who may do what, over ``store``: the service's and the API front's (``provnet/front.py``)
    guards are built here alike."""
    authenticator = auth.Authenticator(store, auth.server_secret(state_dir))
    sessions = Sessions(authenticator)
    guard = ApiAuth(authenticator, public_health=api.public_health,
                    public_metrics=api.public_metrics, session=sessions, login_page=True,
                    districts=IndexCache(store))
    return guard, authenticator, sessions


def attach(service: Service) -> ApiAuth:
    """Make the API enforce roles (always: ``serve`` and ``demo``)."""
    service.api_auth, authenticator, sessions = build_api_auth(
        service.store, service.settings.state_dir, service.settings.api)
    secret = authenticator.secret
    ldap = LdapLogin(service.settings.ldap, service.store) if service.settings.ldap.enabled \
        else None
    service.routers += [audit_router(service.store),
                        login_router(authenticator, sessions, ldap=ldap)]
    if service.demo:
        demo_users(service, secret)
    elif not auth.list_users(service.store):
        log.warning("no users yet: every API route answers 401; add one with "
                    "`provnet user add NAME --role admin --password-stdin` and "
                    "`provnet token create NAME`")
    return service.api_auth


def demo_users(service: Service, secret: bytes) -> Path:
    """On the demo's first start: an admin and an operator with random passwords and a token
    each, written to ``<state_dir>/demo-tokens.json`` (0600); every start says how to log in."""
    path = service.settings.state_dir / DEMO_TOKENS
    if not auth.list_users(service.store):
        made: dict[str, dict[str, str]] = {}
        for name, role in (("admin", "admin"), ("operator", "operator")):
            password = secrets.token_urlsafe(12)
            auth.add_user(service.store, name, role, (), password)
            _, token = auth.create_token(service.store, secret, name)
            made[name] = {"role": role, "password": password, "token": token}
        _private_write(path, json.dumps(made, indent=2))
        _private_write(path.with_name(DEMO_TOKEN), made["admin"]["token"] + "\n")
    try:
        made = json.loads(path.read_text())
    except (OSError, ValueError):
        log.warning("demo users exist but %s is missing: `provnet token create admin`", path)
        return path
    port = service.settings.api.port
    a, o = made["admin"], made["operator"]
    log.info("demo users (passwords and tokens in %s):", path)
    log.info("  log in at http://127.0.0.1:%d/login as admin / %s or operator / %s",
             port, a["password"], o["password"])
    log.info("  API: curl -H 'Authorization: Bearer %s' http://127.0.0.1:%d/api/v1/health",
             a["token"], port)
    log.info("  or: TOKEN=$(cat %s)", path.with_name(DEMO_TOKEN))
    return path

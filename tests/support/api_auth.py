"""Tokens for tests that call a running ``provnet serve``: an admin made in its store."""

from __future__ import annotations

import json
import time
from pathlib import Path

from provnet.config.settings import Settings
from provnet.inventory import auth
from provnet.inventory.store import open_store


def admin_headers(settings: Settings, name: str = "tester", role: str = "admin"
                  ) -> dict[str, str]:
    """Create (or reuse) user ``name`` in the service's store and a token for it, under the
    service's server secret; ``Authorization: Bearer`` headers."""
    store = open_store(settings.sql_url())
    try:
        if name not in {u.name for u in auth.list_users(store)}:
            auth.add_user(store, name, role)
        _, token = auth.create_token(store, auth.server_secret(settings.state_dir), name)
    finally:
        store.close()
    return {"Authorization": f"Bearer {token}"}


def demo_headers(state: Path, role: str = "admin", timeout_s: float = 60.0) -> dict[str, str]:
    """The token ``provnet demo`` wrote for ``role`` in ``<state>/demo-tokens.json``."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            made = json.loads((state / "demo-tokens.json").read_text())
            return {"Authorization": f"Bearer {made[role]['token']}"}
        except (OSError, ValueError, KeyError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)

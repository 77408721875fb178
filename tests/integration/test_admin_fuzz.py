"""Schemathesis with a token over the issue-13 routes added later (users, tokens, settings,
poll / backup now), on SQLite and PostgreSQL, the app as served (roles enforced, the real
authenticator): as an admin and as a district-scoped operator, no 5xx and answers as the
schema says. Passwords never come back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from provnet.api.app import create_app
from provnet.api.auth import ApiAuth
from provnet.api.context import ApiContext
from provnet.config.settings import load_settings
from provnet.features import actions, admin
from provnet.inventory import auth
from provnet.service import Service
from tests.support.pg_server import BACKENDS, backend_store
from tests.support.ssh_store import seed_devices

pytestmark = pytest.mark.integration
schemathesis = pytest.importorskip("schemathesis")
from hypothesis import given  # noqa: E402
from schemathesis.specs.openapi.checks import positive_data_acceptance  # noqa: E402

from tests.support.fuzz import fuzz_settings  # noqa: E402


class Watch:
    """The inventory watch's reload, as admin.attach calls it."""

    def reload_settings(self, settings: object, who: object) -> None:
        self.last = (settings, who)


@pytest.mark.parametrize("backend", BACKENDS)
def test_no_5xx_on_admin_and_action_routes(backend: str, tmp_path: Path) -> None:
    with backend_store(backend, tmp_path) as store:
        seed_devices(store, ["ag-pop-880", "ag-dept-01"])
        settings = load_settings(state_dir=tmp_path)
        svc = Service(settings, store)
        svc.settings_loader = lambda: load_settings(state_dir=tmp_path)
        actions.attach(svc)
        admin.attach(svc, Watch())  # type: ignore[arg-type]
        secret = auth.server_secret(tmp_path)
        auth.add_user(store, "root", "admin")
        auth.add_user(store, "op", "operator", ["886"])
        guard = ApiAuth(auth.Authenticator(store, secret))
        app = create_app(ApiContext(store=store, live=svc.live, auth=guard), svc.routers)
        root = auth.create_token(store, secret, "root")[1]
        schema = schemathesis.openapi.from_asgi(
            "/openapi.json", app, headers={"Authorization": f"Bearer {root}"})
        operations = [r.ok() for r in schema.get_all_operations()]
        assert len(operations) >= 10
        failures: list[str] = []
        statuses: list[int] = []
        for name, examples in (("op", 2), ("root", 6)):  # the operator first: root may
            for op in operations:  # disable it; a fresh token per operation: root may revoke
                token = auth.create_token(store, secret, name)[1]
                try:
                    _fuzz(op, {"Authorization": f"Bearer {token}"}, examples, statuses)
                except Exception as exc:  # every operation's failure, not just the first
                    failures.append(f"{name} {op.method.upper()} {op.path}: {exc}")
        assert not failures, "\n\n".join(failures)
        assert statuses.count(401) == 0 and statuses.count(200) > len(operations), statuses
        assert 403 in statuses and 201 in statuses
        for close in svc.closers:
            close()


def _fuzz(op: Any, headers: dict[str, str], examples: int, statuses: list[int]) -> None:
    @fuzz_settings(examples)
    @given(case=op.as_strategy())
    def run(case: Any) -> None:
        response = case.call(headers=headers)
        statuses.append(response.status_code)
        body = case.body if isinstance(case.body, dict) else {}
        pw = body.get("password")
        if isinstance(pw, str) and len(pw) >= 8:
            assert pw not in response.text, "a password came back"
        case.validate_response(response, excluded_checks=[positive_data_acceptance])

    run()

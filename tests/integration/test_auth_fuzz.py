"""Schemathesis with a token, on SQLite and PostgreSQL: the app as served (roles enforced by
``AuthGuard``, the real authenticator) over the base, alerts, configuration and inventory
routes; as an admin and as a district-scoped operator: no 5xx, answers as the schema says."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from provnet.api.alerts import alerts_router
from provnet.api.auth import ApiAuth
from provnet.api.configs import config_router
from provnet.api.inventory_routes import inventory_objects_router
from provnet.inventory import auth
from provnet.pollers.live import LiveState
from tests.integration.test_api_input import build_app
from tests.support.pg_server import BACKENDS, backend_store

pytestmark = pytest.mark.integration
schemathesis = pytest.importorskip("schemathesis")
from hypothesis import given  # noqa: E402
from schemathesis.specs.openapi.checks import positive_data_acceptance  # noqa: E402

from provnet.api.app import create_app  # noqa: E402
from provnet.api.context import ApiContext  # noqa: E402
from provnet.demo.seed import seed_demo  # noqa: E402
from tests.support.fuzz import fuzz_settings  # noqa: E402


@pytest.mark.parametrize("backend", BACKENDS)
def test_no_5xx_with_a_token(backend: str, tmp_path: Path) -> None:
    with backend_store(backend, tmp_path) as store:
        seed_demo(store)
        build_app(store)  # seeds a device with two configurations
        secret = auth.server_secret(tmp_path)
        auth.add_user(store, "root", "admin")
        auth.add_user(store, "op", "operator", ["886"])
        tokens = {n: auth.create_token(store, secret, n)[1] for n in ("root", "op")}
        guard = ApiAuth(auth.Authenticator(store, secret))
        app = create_app(ApiContext(store=store, live=LiveState(), auth=guard),
                         [alerts_router(store), config_router(store),
                          inventory_objects_router(store)])
        schema = schemathesis.openapi.from_asgi(
            "/openapi.json", app, headers={"Authorization": f"Bearer {tokens['root']}"})
        failures: list[str] = []
        statuses: list[int] = []
        operations = [r.ok() for r in schema.get_all_operations()]
        assert len(operations) >= 20
        for name, examples in (("root", 8), ("op", 4)):
            headers = {"Authorization": f"Bearer {tokens[name]}"}
            for op in operations:
                try:
                    _fuzz(op, headers, examples, statuses)
                except Exception as exc:  # every operation's failure, not just the first
                    failures.append(f"{name} {op.method.upper()} {op.path}: {exc}")
        assert not failures, "\n\n".join(failures)
        # the token was sent: the callers were let in (their 401s would be schema-valid too)
        assert statuses.count(401) == 0 and statuses.count(200) > len(operations), statuses
        assert 403 in statuses  # the scoped operator, on the admin's routes and other districts


def _fuzz(op: Any, headers: dict[str, str], examples: int, statuses: list[int]) -> None:
    @fuzz_settings(examples)
    @given(case=op.as_strategy())
    def run(case: Any) -> None:
        response = case.call(headers=headers)
        statuses.append(response.status_code)
        # 422 on schema-valid data (matcher rules, unknown kinds) is right
        case.validate_response(response, excluded_checks=[positive_data_acceptance])

    run()

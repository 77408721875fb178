"""Fuzz the configuration routes from their OpenAPI document: never a 5xx, schema holds."""

from __future__ import annotations

import datetime as dt

import pytest

schemathesis = pytest.importorskip("schemathesis")

from provnet.api.app import create_app  # noqa: E402
from provnet.api.configs import config_router  # noqa: E402
from provnet.api.context import ApiContext  # noqa: E402
from provnet.inventory.configs import record_config  # noqa: E402
from provnet.pollers.live import LiveState  # noqa: E402
from tests.support.fuzz import fuzz_settings, temp_store  # noqa: E402
from tests.support.ssh_store import seed_devices  # noqa: E402

pytestmark = pytest.mark.integration


def _app() -> object:
    store, _ = temp_store("provnet-ssh-fuzz-")
    ids = seed_devices(store, ["ag-pop-880", "ag-dept-01"])
    now = dt.datetime.now(dt.UTC)
    with store.session() as s:
        for i, text in enumerate(["a\nb\n", "a\nc\n", "a\nc\nd\n"]):
            record_config(s, ids["ag-pop-880"], text, now + dt.timedelta(seconds=i))
    return create_app(ApiContext(store=store, live=LiveState()), [config_router(store)])


schema = schemathesis.openapi.from_asgi("/openapi.json", _app())


@schema.include(path_regex="config").parametrize()
@fuzz_settings(60)
def test_config_routes_no_5xx(case: object) -> None:
    case.call_and_validate()  # type: ignore[attr-defined]

"""Fuzz the engineer's pages and routes (link, device, commune pages; optics) from the OpenAPI
document: never a 5xx, responses match the schema. One entity's availability needs a history
store (503 without one, by design): it is checked in test_eng_pages.py (503) and against a real
demo's influxd in test_engineer_journey.py."""

from __future__ import annotations

import pytest

schemathesis = pytest.importorskip("schemathesis")

from provnet.api.app import create_app  # noqa: E402
from provnet.api.context import ApiContext  # noqa: E402
from provnet.api.eng_api import eng_api_router  # noqa: E402
from provnet.api.ui.eng_pages import eng_pages_router  # noqa: E402
from provnet.demo.seed import seed_demo  # noqa: E402
from provnet.inventory import queries  # noqa: E402
from provnet.pollers.live import LiveState  # noqa: E402
from tests.support.fuzz import fuzz_settings, temp_store  # noqa: E402

pytestmark = pytest.mark.integration


def _app() -> object:
    # schemathesis parametrizes at collection time, so the app is built here, not in a fixture
    store, _ = temp_store("provnet-engfuzz-")
    seed_demo(store)
    with store.session() as s:
        links = queries.links(s)
    live = LiveState()
    return create_app(ApiContext(store=store, live=live), [
        eng_pages_router(store), eng_api_router(store, live, None, lambda: links)])


schema = schemathesis.openapi.from_asgi("/openapi.json", _app()).include(
    path_regex="^/(links|devices|communes)/[^/]+$|/optics$")


@schema.parametrize()
@fuzz_settings(12)
def test_engineer_routes_no_5xx_and_schema_conformance(case: object) -> None:
    case.call_and_validate()  # type: ignore[attr-defined]

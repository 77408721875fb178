"""Fuzz the coverage routes from the OpenAPI document: never a 5xx, responses match the schema."""

from __future__ import annotations

import pytest

schemathesis = pytest.importorskip("schemathesis")

from provnet.api.app import create_app  # noqa: E402
from provnet.api.context import ApiContext  # noqa: E402
from provnet.api.coverage import coverage_router  # noqa: E402
from provnet.config.settings import load_settings  # noqa: E402
from provnet.demo.seed import seed_demo  # noqa: E402
from provnet.maps.coverage import CoverageService  # noqa: E402
from provnet.pollers.live import LiveState  # noqa: E402
from tests.support.fuzz import fuzz_settings, temp_store  # noqa: E402

pytestmark = pytest.mark.integration


def _app() -> object:
    # schemathesis parametrizes at collection time, so the app is built here, not in a fixture
    store, d = temp_store("provnet-covfuzz-")
    seed_demo(store)
    svc = CoverageService(store, load_settings(state_dir=d))
    return create_app(ApiContext(store=store, live=LiveState()), [coverage_router(svc)])


schema = schemathesis.openapi.from_asgi("/openapi.json", _app()).include(path_regex="coverage")


@schema.parametrize()
@fuzz_settings(25)
def test_coverage_routes_no_5xx_and_schema_conformance(case: object) -> None:
    case.call_and_validate()  # type: ignore[attr-defined]

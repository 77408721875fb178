"""Property-based fuzzing of the API from its own OpenAPI document (schemathesis).

Every generated request, valid or not, must get a response that conforms to the schema and
is never a 5xx: bad input is a 4xx with a reason.
"""

from __future__ import annotations

import pytest

schemathesis = pytest.importorskip("schemathesis")

from provnet.api.app import create_app  # noqa: E402
from provnet.api.context import ApiContext  # noqa: E402
from provnet.demo.seed import seed_demo  # noqa: E402
from provnet.pollers.live import LiveState  # noqa: E402
from tests.support.fuzz import fuzz_settings, temp_store  # noqa: E402

pytestmark = pytest.mark.integration


def _app() -> object:
    # schemathesis parametrizes at collection time, so the app is built here, not in a fixture
    store, _ = temp_store("provnet-fuzz-")
    seed_demo(store)
    return create_app(ApiContext(store=store, live=LiveState(), stale_after_s=25))


schema = schemathesis.openapi.from_asgi("/openapi.json", _app())


@schema.parametrize()
@fuzz_settings(60)
def test_no_5xx_and_schema_conformance(case: object) -> None:
    case.call_and_validate()  # type: ignore[attr-defined]

"""Fuzz the web face's routes (search, overview, home, incident console, help) from the OpenAPI
document: never a 5xx, responses match the schema."""

from __future__ import annotations

import time

import pytest

schemathesis = pytest.importorskip("schemathesis")

from provnet.alerts.model import Incident  # noqa: E402
from provnet.api.app import create_app  # noqa: E402
from provnet.api.context import ApiContext  # noqa: E402
from provnet.api.overview import overview_router  # noqa: E402
from provnet.api.search import search_router  # noqa: E402
from provnet.api.ui.help import help_router  # noqa: E402
from provnet.api.ui.home import home_router  # noqa: E402
from provnet.api.ui.incidents import incidents_router  # noqa: E402
from provnet.api.ui.search_page import search_page_router  # noqa: E402
from provnet.demo.seed import seed_demo  # noqa: E402
from provnet.maps.overview import OverviewSource  # noqa: E402
from provnet.pollers.live import LiveState  # noqa: E402
from tests.support.fuzz import fuzz_settings, temp_store  # noqa: E402

pytestmark = pytest.mark.integration


def _app() -> object:
    # schemathesis parametrizes at collection time, so the app is built here, not in a fixture
    store, _ = temp_store("provnet-webfuzz-")
    seed_demo(store)
    with store.session() as s:
        s.add(Incident(group_key="g", title="t", root_cause="c", root_site_code="POP-891",
                       district="891", severity="major", status="open", started_at=time.time(),
                       affected=[{"site_code": "UB-30544", "site_name": "UBND",
                                  "commune": "Thị trấn Tri Tôn", "alert": "cut_off"}]))
    live = LiveState()
    src = OverviewSource(store, live)
    return create_app(ApiContext(store=store, live=live), [
        search_router(store), search_page_router(store), overview_router(src),
        home_router(src), incidents_router(store), help_router()])


schema = schemathesis.openapi.from_asgi("/openapi.json", _app()).include(
    path_regex="^/(api/v1/search|api/v1/overview|search|incidents|help|)($|/|\\?)")


@schema.parametrize()
@fuzz_settings(12)
def test_web_routes_no_5xx_and_schema_conformance(case: object) -> None:
    case.call_and_validate()  # type: ignore[attr-defined]

"""Fuzz the map routes (GeoJSON API, pages, SVG) from their OpenAPI document: never a 5xx."""

from __future__ import annotations

import pytest

schemathesis = pytest.importorskip("schemathesis")

from provnet.api.app import create_app  # noqa: E402
from provnet.api.context import ApiContext  # noqa: E402
from provnet.api.pages import maps_routers  # noqa: E402
from provnet.config.settings import load_settings  # noqa: E402
from provnet.demo.seed import seed_demo  # noqa: E402
from provnet.maps.coverage import CoverageService  # noqa: E402
from provnet.maps.geojson import MapsContext  # noqa: E402
from provnet.pollers.live import LiveState  # noqa: E402
from tests.support.fuzz import fuzz_settings, temp_store  # noqa: E402

pytestmark = pytest.mark.integration


def _app() -> object:
    store, d = temp_store("provnet-maps-fuzz-")
    seed_demo(store)
    live = LiveState()
    svc = CoverageService(store, load_settings(state_dir=d), persist=False)
    return create_app(ApiContext(store=store, live=live),
                      maps_routers(MapsContext(store, live, coverage=svc)))


schema = schemathesis.openapi.from_asgi("/openapi.json", _app()).include(
    path_regex=r"^/(api/v1/geo|maps|reports)/")  # reports: issue 15


@schema.parametrize()
@fuzz_settings(40)
def test_maps_routes_never_5xx(case: object) -> None:
    case.call_and_validate()  # type: ignore[attr-defined]

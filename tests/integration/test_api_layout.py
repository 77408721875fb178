"""The whole API as `provnet serve` mounts it (every feature attached): each route is defined
in ``provnet.api``, the OpenAPI document has no duplicated schema names, paths are unique."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.routing import APIRoute

from provnet.api.app import create_app
from provnet.api.context import ApiContext
from provnet.config.settings import load_settings
from provnet.demo.seed import seed_demo
from provnet.features import attach_all
from provnet.inventory.store import open_store
from provnet.service import Service


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    d: Path = tmp_path_factory.mktemp("layout")
    store = open_store(f"sqlite:///{d / 'inv.sqlite'}")
    seed_demo(store)
    service = Service(load_settings(state_dir=d, coverage={"compute_on_start": False}), store)
    attach_all(service)
    yield create_app(ApiContext(store=store, live=service.live), service.routers)
    service.close()
    store.close()


def _api_routes(routes: list[Any]) -> Iterator[APIRoute]:
    """Every APIRoute, included routers' too (FastAPI may keep them as included routers)."""
    for r in routes:
        if isinstance(r, APIRoute):
            yield r
        elif hasattr(r, "original_router"):
            yield from _api_routes(r.original_router.routes)


def test_every_route_is_defined_under_api(app: Any) -> None:
    routes = list(_api_routes(app.routes))
    assert len(routes) > 25
    outside = [f"{r.path} -> {r.endpoint.__module__}" for r in routes
               if r.include_in_schema and not r.endpoint.__module__.startswith("provnet.api.")]
    assert outside == []


def test_openapi_schema_names_are_unique_and_plain(app: Any) -> None:
    doc = app.openapi()
    names = list(doc["components"]["schemas"])
    # FastAPI falls back to module-qualified names when two models share a name
    assert [n for n in names if "__" in n] == []
    ops = Counter(op["operationId"] for item in doc["paths"].values() for op in item.values())
    assert [k for k, n in ops.items() if n > 1] == []
    assert {"/api/v1/links", "/api/v1/reachability", "/api/v1/alerts/incidents",
            "/api/v1/coverage/communes", "/api/v1/geo/communes", "/api/v1/config-changes",
            "/maps/province"} <= set(doc["paths"])

"""GET /metrics: provnet_* names in base units, fed by the service's own figures."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from provnet.api.app import create_app
from provnet.api.context import ApiContext
from provnet.config.settings import load_settings
from provnet.features import metrics
from provnet.inventory.store import open_store
from provnet.pollers.types import PollResult, SnmpTarget
from provnet.service import Service


@pytest.fixture
def client(tmp_path: Path) -> Iterator[tuple[TestClient, Service]]:
    store = open_store(f"sqlite:///{tmp_path / 'inv.sqlite'}")
    service = Service(load_settings(state_dir=tmp_path), store)
    metrics.attach(service)
    ctx = ApiContext(store=store, live=service.live, request_observers=service.request_observers)
    with TestClient(create_app(ctx, service.routers)) as c:
        yield c, service
    store.close()


def families(text: str) -> dict[str, dict[tuple[tuple[str, str], ...], float]]:
    out: dict[str, dict[tuple[tuple[str, str], ...], float]] = {}
    for fam in text_string_to_metric_families(text):
        for s in fam.samples:
            out.setdefault(s.name, {})[tuple(sorted(s.labels.items()))] = s.value
    return out


def test_metrics_reflect_polls_errors_and_requests(client: tuple[TestClient, Service]) -> None:
    c, service = client
    target = SnmpTarget(1, "r1", "127.0.0.1")
    service.on_result(PollResult(target, time.time(), 0.2), {})
    service.on_result(PollResult(target, time.time(), 2.0, error="timeout", error_kind="timeout"),
                      {})
    assert c.get("/api/v1/health").status_code == 200
    r = c.get("/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    m = families(r.text)
    assert m["provnet_poll_duration_seconds_count"][()] == 2
    assert m["provnet_poll_duration_seconds_bucket"][(("le", "0.25"),)] == 1
    assert m["provnet_poll_errors_total"][(("kind", "timeout"),)] == 1
    assert m["provnet_devices"][(("state", "failed"),)] == 1
    assert m["provnet_spool_bytes"][()] == 0
    assert m["provnet_api_request_duration_seconds_count"][
        (("method", "GET"), ("route", "/api/v1/health"))] == 1
    assert all(name.startswith("provnet_") for name in m if not name.startswith("python_"))

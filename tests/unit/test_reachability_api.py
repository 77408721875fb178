"""/api/v1/reachability: device status from ICMP state + live SNMP state (FastAPI in-process)."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from provnet.api.reachability import reachability_router
from provnet.pollers.icmp import summarise
from provnet.pollers.live import LiveState
from provnet.pollers.types import PollResult, SnmpTarget

T = [SnmpTarget(device_id=i, name=f"ub-{i}", address=f"127.10.0.{i}") for i in range(1, 6)]


def _client() -> TestClient:
    live = LiveState()
    # 1 up, 2 snmp_not_answering, 3 unreachable, 4 degraded, 5 nothing known yet
    for t, ok in ((T[0], True), (T[1], False), (T[2], False), (T[3], True)):
        live.update(PollResult(t, 1_700_000_000.0, 0.01, error=None if ok else "timeout"), {})
    live.update_icmp(1, summarise(T[0].address, 4, [0.1] * 4), 1_700_000_001.0)
    live.update_icmp(2, summarise(T[1].address, 4, [0.1] * 4), 1_700_000_001.0)
    live.update_icmp(3, summarise(T[2].address, 4, []), 1_700_000_001.0)
    live.update_icmp(4, summarise(T[3].address, 4, [0.1, 0.2]), 1_700_000_001.0)
    app = FastAPI()
    app.include_router(reachability_router(lambda: T, live, 25.0))
    return TestClient(app)


def test_statuses_and_filter() -> None:
    client = _client()
    page = client.get("/api/v1/reachability").json()
    assert page["total"] == 5
    assert [i["status"] for i in page["items"]] == [
        "up", "snmp_not_answering", "unreachable", "degraded", "unknown"]
    two = page["items"][1]
    assert two["snmp_ok"] is False and two["snmp_error"] == "timeout"
    assert two["icmp_received"] == 4 and two["icmp_loss_pct"] == 0.0
    only = client.get("/api/v1/reachability", params={"status": "unreachable"}).json()
    assert [i["device"] for i in only["items"]] == ["ub-3"]


def test_one_device_and_errors() -> None:
    client = _client()
    assert client.get("/api/v1/reachability/2").json()["status"] == "snmp_not_answering"
    missing = client.get("/api/v1/reachability/99")
    assert missing.status_code == 404 and "99" in missing.json()["detail"]
    assert client.get("/api/v1/reachability", params={"status": "fine"}).status_code == 422
    assert client.get("/api/v1/reachability", params={"limit": 0}).status_code == 422
    assert client.get("/api/v1/reachability/-1").status_code == 422

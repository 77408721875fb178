"""The read path over a real seeded inventory: answers materialised per cycle with ETag/304,
cursor pagination (stable, ``next`` links) on the lists, ``fields=`` trimming."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from provnet.api.app import create_app
from provnet.api.context import ApiContext
from provnet.demo.seed import seed_demo
from provnet.inventory import queries
from provnet.inventory.store import Store, open_store
from provnet.pollers.live import LiveState
from provnet.pollers.types import IfRates, IfSample, PollResult, SnmpTarget

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    path: Path = tmp_path_factory.mktemp("inv") / "inventory.sqlite"
    st = open_store(f"sqlite:///{path}")
    seed_demo(st)
    return st


class World:
    """A live state fed with one poll of every device, and a cycle counter."""

    def __init__(self, store: Store) -> None:
        self.live = LiveState()
        self.cycle = 1
        with store.session() as s:
            self.links = queries.links(s)
            self.devices = queries.devices(s)

    def poll(self, oper: int = 1) -> None:
        now = time.time()
        ports: dict[int, dict[int, int]] = {d.id: {} for d in self.devices}
        for r in self.links:
            ports[r.a_device_id][r.a_ifindex] = oper
            ports[r.z_device_id][r.z_ifindex] = oper
        for d in self.devices:
            samples = {i: IfSample(i, oper_status=o, high_speed_mbps=100)
                       for i, o in ports[d.id].items()}
            rates = {i: IfRates(in_bps=2e6, out_bps=1e6) for i in samples}
            self.live.update(PollResult(SnmpTarget(d.id, d.hostname, d.mgmt_address), now,
                                        0.02, 1234, samples, 10), rates)


@pytest.fixture(scope="module")
def world(store: Store) -> World:
    w = World(store)
    w.poll()
    return w


@pytest.fixture(scope="module")
def client(store: Store, world: World) -> Iterator[TestClient]:
    ctx = ApiContext(store=store, live=world.live, stale_after_s=600,
                     cycles=lambda: world.cycle, targets=lambda: [
                         SnmpTarget(d.id, d.hostname, d.mgmt_address) for d in world.devices])
    with TestClient(create_app(ctx)) as c:  # one event loop: background rebuilds run
        yield c


def walk(client: TestClient, path: str, **params: Any) -> list[dict[str, Any]]:
    """Every item of a list, following ``next``."""
    page = client.get(path, params=params).json()
    items = list(page["items"])
    while page["next"]:
        r = client.get(page["next"])
        assert r.status_code == 200, r.text
        page = r.json()
        items += page["items"]
    return items


@pytest.mark.parametrize(("path", "key", "params"), [
    ("/api/v1/links", "id", {"limit": 17}),
    ("/api/v1/links", "id", {"limit": 5, "district": "891"}),
    ("/api/v1/devices", "id", {"limit": 50}),
    ("/api/v1/reachability", "device_id", {"limit": 33}),
    ("/api/v1/communes", "code", {"limit": 20}),
    ("/api/v1/communes", "code", {"limit": 7, "generation": "2025"}),
])
def test_cursor_walk_gives_every_item_once_in_order(client: TestClient, path: str, key: str,
                                                    params: dict[str, Any]) -> None:
    whole = client.get(path, params={**params, "limit": 1000}).json()
    assert whole["next"] is None and whole["total"] == len(whole["items"]) > params["limit"]
    walked = walk(client, path, **params)
    assert [i[key] for i in walked] == [i[key] for i in whole["items"]]
    first = client.get(path, params=params).json()
    assert "cursor=" in first["next"] and "offset" not in first["next"]


def test_a_cursor_is_stable_where_an_offset_shifts(client: TestClient) -> None:
    page1 = client.get("/api/v1/links", params={"limit": 10}).json()
    page2 = client.get(page1["next"]).json()
    assert page2["items"][0]["id"] > page1["items"][-1]["id"]
    # a filter that removes items before the cursor leaves the next page where it was
    after = [i["id"] for i in walk(client, "/api/v1/links", limit=1000)
             if i["id"] > page1["items"][-1]["id"]]
    assert [i["id"] for i in page2["items"]] == after[:10]


@pytest.mark.parametrize(("params", "needle"), [
    ({"cursor": "not-a-cursor"}, "cursor"),
    ({"cursor": -1}, "cursor"),
    ({"fields": "id,nope"}, "fields"),
    ({"fields": ","}, "fields"),
])
def test_bad_cursor_or_fields_are_422_with_reason(client: TestClient, params: dict[str, Any],
                                                  needle: str) -> None:
    r = client.get("/api/v1/links", params=params)
    assert r.status_code == 422 and needle in r.text


def test_offset_after_a_cursor_skips_further(client: TestClient) -> None:
    ids = [i["id"] for i in walk(client, "/api/v1/links", limit=1000)]
    page = client.get("/api/v1/links", params={"cursor": ids[9], "offset": 5, "limit": 3}).json()
    assert [i["id"] for i in page["items"]] == ids[15:18]
    assert page["next"].endswith(f"cursor={ids[17]}") or f"cursor={ids[17]}&" in page["next"]


def test_fields_trim_items(client: TestClient) -> None:
    body = client.get("/api/v1/links", params={"limit": 5, "fields": "id,health"}).json()
    assert [set(i) for i in body["items"]] == [{"id", "health"}] * 5
    assert body["next"] and "fields=id%2Chealth" in body["next"]
    devs = client.get("/api/v1/devices", params={"fields": "hostname,status"}).json()
    assert set(devs["items"][0]) == {"hostname", "status"}
    full = client.get("/api/v1/links", params={"limit": 5}).json()
    assert len(client.get("/api/v1/links", params={"limit": 5, "fields": "id"}).content) < (
        len(str(full)) / 5)


def test_answers_are_kept_per_cycle_with_etag(client: TestClient, world: World) -> None:
    first = client.get("/api/v1/links", params={"limit": 1000, "status": "up"})
    assert first.status_code == 200 and len(first.json()["items"]) == len(world.links)
    etag = first.headers["etag"]
    # the live state changes during the cycle: the cycle's answer stands
    world.poll(oper=2)
    again = client.get("/api/v1/links", params={"limit": 1000, "status": "up"},
                       headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.headers["etag"] == etag
    # the cycle ends: the previous answer is served (stale while revalidate: 304 on its own
    # tag) while one rebuild runs; then the new state, with a new tag
    world.cycle += 1
    stale = client.get("/api/v1/links", params={"limit": 1000, "status": "up"},
                       headers={"If-None-Match": etag})
    assert stale.status_code == 304 and stale.headers["etag"] == etag
    for _ in range(100):
        after = client.get("/api/v1/links", params={"limit": 1000, "status": "up"},
                           headers={"If-None-Match": etag})
        if after.status_code != 304:
            break
        time.sleep(0.02)
    assert after.status_code == 200 and after.json()["items"] == []
    assert after.headers["etag"] != etag
    # a trap shows at once, in the middle of a cycle
    rec = world.links[0]
    before = client.get(f"/api/v1/links/{rec.id}/health").json()
    assert before["status"] == "down"
    world.poll(oper=1)
    world.cycle += 1
    for _ in range(100):  # after the background rebuild
        if client.get(f"/api/v1/links/{rec.id}/health").json()["status"] == "up":
            break
        time.sleep(0.02)
    assert client.get(f"/api/v1/links/{rec.id}/health").json()["status"] == "up"
    assert world.live.apply_trap(rec.a_device_id, rec.a_ifindex, False, time.time() + 1)
    assert client.get(f"/api/v1/links/{rec.id}/health").json()["status"] == "down"
    figures = client.get("/api/v1/health").json()["poller"]
    assert figures["cache_hits"] >= 1 and figures["cache_not_modified"] >= 1


def test_answers_without_a_cycle_source_are_not_kept(store: Store, world: World) -> None:
    plain = TestClient(create_app(ApiContext(store=store, live=world.live)))
    r = plain.get("/api/v1/links", params={"limit": 3})
    assert r.status_code == 200 and "etag" not in r.headers

"""District scope (api/scope.py): which requests a scoped user is refused, and the stream
events it gets (pure: a hand-made district index, the real EventHub)."""

from __future__ import annotations

import json

import pytest

from provnet.api.events import EventHub
from provnet.api.scope import Scoped, refusal
from provnet.inventory.auth import Identity
from provnet.inventory.scope import DistrictIndex

INDEX = DistrictIndex(devices={1: "886", 2: "887", 3: None}, links={10: "886", 20: "887"},
                      sites={"S1": "886", "S2": "887"},
                      communes={"30544": frozenset({"886"}), "30600": frozenset({"887"}),
                                "91001": frozenset({"886", "887"}), "886": frozenset({"886"})})
LAN = Scoped(Identity("lan", "operator", frozenset({"886"})), INDEX)


@pytest.mark.parametrize(("template", "path", "query", "refused"), [
    ("/api/v1/devices/{device_id}/history", "/api/v1/devices/1/history", {}, None),
    ("/api/v1/devices/{device_id}/history", "/api/v1/devices/2/history", {}, "device 2"),
    ("/api/v1/devices/{device_id}/config", "/api/v1/devices/3/config", {}, "device 3"),
    ("/api/v1/devices/{device_id}/history", "/api/v1/devices/99/history", {}, None),  # 404
    ("/api/v1/links/{link_id}/timeline", "/api/v1/links/20/timeline", {}, "link 20"),
    ("/api/v1/links/{link_id}/health", "/api/v1/links/10/health", {}, None),
    ("/maps/communes/{code}.svg", "/maps/communes/30600.svg", {}, "commune 30600"),
    ("/maps/communes/{code}", "/maps/communes/91001", {}, None),  # 2025: partly ours
    ("/api/v1/communes/{code}/history", "/api/v1/communes/30544/history", {}, None),
    ("/api/v1/geo/sites", "/api/v1/geo/sites", {"commune": ["30600"]}, "commune 30600"),
    ("/api/v1/coverage/gaps", "/api/v1/coverage/gaps", {}, "name one of its communes"),
    ("/api/v1/coverage/gaps", "/api/v1/coverage/gaps", {"commune": ["30544"]}, None),
    ("/api/v1/reports/availability", "/api/v1/reports/availability", {}, "province-wide"),
    ("/api/v1/links", "/api/v1/links", {}, None),
])
def test_refusal(template: str, path: str, query: dict[str, list[str]],
                 refused: str | None) -> None:
    why = refusal(LAN, template, path, query)
    if refused is None:
        assert why is None
    else:
        assert why is not None and refused in why and "limited to district(s) 886" in why


@pytest.mark.anyio
async def test_stream_sends_a_scoped_subscriber_its_district_only() -> None:
    hub = EventHub()
    mine, everyone = hub.subscribe(LAN.stream_filter), hub.subscribe()
    hub.publish("links", [{"link_id": 10, "status": "down"}, {"link_id": 20, "status": "up"}])
    hub.publish("links", [{"link_id": 20, "status": "down"}])  # nothing of 886: not sent
    hub.publish("incidents", [{"id": 1, "district": "887"}, {"id": 2, "district": "886"}])
    hub.publish("cycle", {"cycle": 3})

    def events(sub: object) -> list[tuple[str, object]]:
        out = []
        q = sub.queue  # type: ignore[attr-defined]
        while not q.empty():
            lines = q.get_nowait().decode().splitlines()
            out.append((lines[1].removeprefix("event: "),
                        json.loads(lines[2].removeprefix("data: "))))
        return out

    assert events(mine) == [("links", [{"link_id": 10, "status": "down"}]),
                            ("incidents", [{"id": 2, "district": "886"}]),
                            ("cycle", {"cycle": 3})]
    assert len(events(everyone)) == 4


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"

"""Fuzz /api/v1/reachability from its OpenAPI document (schemathesis): no 5xx, responses
conform to the schema (the router alone)."""

from __future__ import annotations

import pytest

schemathesis = pytest.importorskip("schemathesis")

from provnet.api.reachability import reachability_router  # noqa: E402
from provnet.pollers.icmp import summarise  # noqa: E402
from provnet.pollers.live import LiveState  # noqa: E402
from provnet.pollers.types import PollResult, SnmpTarget  # noqa: E402
from tests.support.fuzz import fuzz_settings  # noqa: E402

pytestmark = pytest.mark.integration


def _app() -> object:
    from fastapi import FastAPI

    targets = [SnmpTarget(device_id=i, name=f"ub-{i}", address=f"127.10.0.{i}")
               for i in range(1, 4)]
    live = LiveState()
    live.update(PollResult(targets[0], 1_700_000_000.0, 0.01, error="timeout"), {})
    live.update_icmp(1, summarise(targets[0].address, 4, [0.2, 0.3]), 1_700_000_001.0)
    app = FastAPI()
    app.include_router(reachability_router(lambda: targets, live, 25.0))
    return app


schema = schemathesis.openapi.from_asgi("/openapi.json", _app())


@schema.parametrize()
@fuzz_settings(60)
def test_no_5xx_and_schema_conformance(case: object) -> None:
    case.call_and_validate()  # type: ignore[attr-defined]

"""Trap acceptance by SNMPv3 user alone (issue 13), net-snmp's real ``snmptrap -v3`` against
the real receiver wired by ``features.traps.attach`` (a real ``snmpd`` is the device that
the confirming poll reads): a trap that authenticates as a configured user tied to a device is
that device's whatever its source address; the same trap as v2c from that address, or from a
user tied to no device, is ignored; an unknown user or a wrong key is refused by USM, counted
by reason, and reaches nobody."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Iterator
from typing import Any, cast

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from pydantic import SecretStr

from provnet.config.settings import Settings
from provnet.config.traps import TrapSettings, TrapV3User
from provnet.features import traps as traps_feature
from provnet.pollers.plan import PollPlan
from provnet.pollers.types import IfRates, IfSample, PollResult, SnmpTarget
from tests.integration.test_attach_traps import LINK_UP, LO, FakeService
from tests.integration.test_trap_receiver import SNMPTRAP
from tests.support.snmp_agents import SnmpdAgent, start_snmpd, tool_env

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def agent() -> Iterator[SnmpdAgent]:
    a = start_snmpd(community="dev-comm")
    yield a
    a.stop()


ENGINE = "80001f8880beef00c1"
AUTH, PRIV = "c1-auth-key-123", "c1-priv-key-456"
SETTINGS = TrapSettings(port=0, communities=[SecretStr("svc-comm")], v3_users=[
    TrapV3User(user="ag-c1-trap", auth_key=SecretStr(AUTH), priv_key=SecretStr(PRIV),
               engine_id=ENGINE, device="ag-c1"),
    TrapV3User(user="free-trap", auth_key=SecretStr(AUTH), priv_key=SecretStr(PRIV),
               engine_id=ENGINE)])


def v3(user: str, auth: str = AUTH, priv: str = PRIV) -> list[str]:
    return ["-v3", "-e", f"0x{ENGINE}", "-u", user, "-l", "authPriv", "-a", "SHA", "-A", auth,
            "-x", "AES", "-X", priv]


V2C = ["-v2c", "-c", "svc-comm"]
FAR = "127.0.0.2"  # not the device's management address (127.0.0.1)


def _send(host: str, port: int, auth: list[str], source: str) -> None:
    proc = subprocess.run(
        [SNMPTRAP, *auth, f"--clientaddr={source}", f"{host}:{port}", "500", LINK_UP,
         f"1.3.6.1.2.1.2.2.1.1.{LO}", "i", str(LO), f"1.3.6.1.2.1.2.2.1.8.{LO}", "i", "1"],
        capture_output=True, env=tool_env(), timeout=10, check=False)
    assert proc.returncode == 0, proc.stderr


def _run(agent: SnmpdAgent, traps: list[tuple[list[str], str]]
         ) -> tuple[FakeService, list[tuple[str, int]], Any]:
    target = SnmpTarget(7, "ag-c1", "127.0.0.1", agent.port, "dev-comm", timeout_s=1.0)
    plan = PollPlan(targets=[target], device_tags={7: {"device": "ag-c1"}})
    service = FakeService(settings=Settings(), plan=plan)
    service.live.update(PollResult(target, 100.0, 0.1, interfaces={
        LO: IfSample(LO, "lo", oper_status=1, admin_status=1)}), {LO: IfRates()})
    heard: list[tuple[str, int]] = []
    receiver = traps_feature.attach(cast(Any, service),
                                    [lambda e, d: heard.append((e.kind, d))], SETTINGS)
    assert receiver is not None

    async def run() -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(service.background[0][1](stop))
        for _ in range(100):
            if receiver._sock is not None:
                break
            await asyncio.sleep(0.02)
        host, port = receiver.address
        for auth, source in traps:
            n, refused = len(service.points), sum(receiver.refused.values())
            await asyncio.to_thread(_send, host, port, auth, source)
            for _ in range(60):  # a point once the verdict is known, or a refusal
                if len(service.points) > n or sum(receiver.refused.values()) > refused:
                    break
                await asyncio.sleep(0.05)
        await asyncio.sleep(0.2)
        stop.set()
        await asyncio.wait_for(task, 5)

    asyncio.run(run())
    return service, heard, receiver


def test_a_configured_v3_user_is_accepted_from_any_address(agent: SnmpdAgent) -> None:
    service, heard, receiver = _run(agent, [(v3("ag-c1-trap"), FAR)])
    assert heard == [("link-up", 7)]  # the device's, confirmed by the poll
    (point,) = service.points
    assert point.tags["device"] == "ag-c1" and point.fields["user"] == "ag-c1-trap"
    assert point.fields["source"] == FAR and point.fields["verdict"] == "confirmed"
    assert receiver.refused == {}


def test_address_rule_still_holds_without_a_user_device(agent: SnmpdAgent) -> None:
    service, heard, _ = _run(agent, [(V2C, FAR), (v3("free-trap"), FAR),
                                     (v3("free-trap"), "127.0.0.1")])
    assert heard == [("link-up", 7)]  # only the last: a user without a device, right address
    assert [p.tags.get("device") for p in service.points] == [None, None, "ag-c1"]
    assert service.points[1].fields["user"] == "free-trap"


def test_unknown_user_and_bad_keys_are_counted_and_dropped(agent: SnmpdAgent) -> None:
    service, heard, receiver = _run(agent, [
        (v3("intruder"), "127.0.0.1"), (v3("ag-c1-trap", auth="wrong-auth-key"), FAR),
        (v3("ag-c1-trap", auth="wrong-auth-key"), "127.0.0.1"),
        (v3("ag-c1-trap", priv="wrong-priv-key"), FAR)])
    assert heard == [] and service.points == []
    assert receiver.refused == {"unknownSecurityName": 1, "authenticationFailure": 2,
                                "decryptionError": 1}, receiver.refused
    assert receiver.received == 0
    registry = CollectorRegistry()
    registry.register(traps_feature.TrapCounts(receiver))
    text = generate_latest(registry).decode()
    assert 'provnet_traps_refused_total{reason="authenticationFailure"} 2.0' in text
    assert "provnet_traps_received_total 0.0" in text

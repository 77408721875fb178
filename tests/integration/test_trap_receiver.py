"""TrapReceiver (pysnmp 7) fed by net-snmp's real ``snmptrap``: v1, v2c, v3 authPriv, bad auth."""

from __future__ import annotations

import asyncio
import shutil
import subprocess

import pytest
from pydantic import SecretStr

from provnet.config.traps import TrapSettings, TrapV3User
from provnet.pollers.traps import TrapEvent, TrapReceiver
from tests.support.snmp_agents import tool_env

SNMPTRAP = shutil.which("snmptrap") or "/usr/bin/snmptrap"
ENGINE_ID = "80001f8880c0ffee0001"
LINK_DOWN_ARGS = ["12345", "1.3.6.1.6.3.1.1.5.3", "1.3.6.1.2.1.2.2.1.1.7", "i", "7",
                  "1.3.6.1.2.1.2.2.1.7.7", "i", "1", "1.3.6.1.2.1.2.2.1.8.7", "i", "2"]
V3 = ["-v3", "-e", f"0x{ENGINE_ID}", "-u", "provnet-trap", "-l", "authPriv", "-a", "SHA",
      "-A", "trap-auth-key", "-x", "AES", "-X", "trap-priv-key"]

CASES: list[tuple[str, list[str], list[str], tuple[str, int | None] | None]] = [
    ("v2c linkDown", ["-v2c", "-c", "trap-comm"], LINK_DOWN_ARGS, ("link-down", 7)),
    ("v2c coldStart", ["-v2c", "-c", "trap-comm"], ["99", "1.3.6.1.6.3.1.1.5.1"],
     ("cold-start", None)),
    ("v3 authPriv linkUp", V3, ["555", "1.3.6.1.6.3.1.1.5.4", "1.3.6.1.2.1.2.2.1.1.2", "i", "2"],
     ("link-up", 2)),
    ("v1 linkDown (translated to v2)", ["-v1", "-c", "trap-comm"],
     ["1.3.6.1.4.1.8072.3.2.10", "127.0.0.1", "2", "0", "77", "1.3.6.1.2.1.2.2.1.1.3", "i", "3"],
     ("link-down", 3)),
    ("wrong community", ["-v2c", "-c", "guess"], LINK_DOWN_ARGS, None),
    ("v3 wrong key", [*V3[:-1], "not-the-priv-key"], ["1", "1.3.6.1.6.3.1.1.5.1"], None),
    ("enterprise trap is ignored", ["-v2c", "-c", "trap-comm"], ["1", "1.3.6.1.4.1.2011.1"],
     None),
]


@pytest.mark.parametrize(("case", "auth", "args", "expected"), CASES, ids=[c[0] for c in CASES])
def test_receiver_reports_real_traps(case: str, auth: list[str], args: list[str],
                                     expected: tuple[str, int | None] | None) -> None:
    settings = TrapSettings(
        port=0, communities=[SecretStr("trap-comm")],
        v3_users=[TrapV3User(user="provnet-trap", auth_key=SecretStr("trap-auth-key"),
                             priv_key=SecretStr("trap-priv-key"), engine_id=ENGINE_ID)])

    async def run() -> tuple[list[TrapEvent], int]:
        events: list[TrapEvent] = []
        receiver = TrapReceiver(settings, events.append)
        await receiver.start()
        try:
            host, port = receiver.address
            proc = await asyncio.to_thread(
                subprocess.run, [SNMPTRAP, *auth, f"{host}:{port}", *args],
                capture_output=True, env=tool_env(), timeout=10, check=False)
            assert proc.returncode == 0, proc.stderr
            for _ in range(40):
                if events or receiver.ignored:
                    break
                await asyncio.sleep(0.05)
            if expected is None:
                await asyncio.sleep(0.3)  # give a wrongly accepted trap time to show up
            return events, receiver.ignored
        finally:
            receiver.close()

    events, _ = asyncio.run(run())
    if expected is None:
        assert events == []
    else:
        assert [(e.kind, e.ifindex, e.source) for e in events] == [(*expected, "127.0.0.1")]


def test_port_in_use_is_a_clear_error() -> None:
    from provnet.pollers.traps import TrapError

    async def run() -> None:
        first = TrapReceiver(TrapSettings(port=0), lambda e: None)
        await first.start()
        try:
            second = TrapReceiver(TrapSettings(port=first.address[1]), lambda e: None)
            with pytest.raises(TrapError, match="cannot listen for traps"):
                await second.start()
        finally:
            first.close()

    asyncio.run(run())

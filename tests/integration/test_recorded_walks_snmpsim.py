"""Every recorded walk served by snmpsim over UDP, read back through PysnmpTransport (GET of
the group's scalars, GETBULK walk of its columns), parses to the case's expected readings.

snmpsim caps GETBULK answers at 64 varbinds, so wide groups take several requests.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from provnet.pollers.groups import Group, group_data, load_groups, parse_group
from provnet.pollers.ifmib import Oid, VarBind, walk_step
from provnet.pollers.snmp import PysnmpTransport
from provnet.pollers.types import SnmpTarget
from tests.support.snmp_agents import free_udp_port, snmp_answers
from tests.support.snmpwalk import walk_to_snmprec
from tests.unit.test_recorded_walks import CASES, CASES_DIR, readings_match

snmpsim = pytest.importorskip("snmpsim", reason="snmpsim is not importable",
                              exc_type=ImportError)
from tests.integration.test_poller_snmpsim import SnmpsimAgent, responder_command  # noqa: E402

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
GROUPS = load_groups(ROOT / "config" / "profiles" / "groups")
HOST = "127.0.0.1"


@pytest.fixture(scope="module")
def agent() -> Iterator[SnmpsimAgent]:
    workdir = Path(tempfile.mkdtemp(prefix="provnet-h3c-snmpsim-"))
    data = workdir / "data"
    data.mkdir()
    for case in CASES:  # snmpsim: community = data file name
        text = (CASES_DIR / case / "walk.txt").read_text(encoding="utf-8")
        (data / f"{case}.snmprec").write_text(walk_to_snmprec(text, case), encoding="ascii")
    port = free_udp_port(HOST)
    cmd = [*responder_command(), f"--data-dir={data}", f"--cache-dir={workdir / 'cache'}",
           f"--agent-udpv4-endpoint={HOST}:{port}",
           f"--logging-method=file:{workdir / 'snmpsim.log'}", "--log-level=error"]
    with open(workdir / "stderr.txt", "wb") as err:
        proc = subprocess.Popen(cmd, env={**os.environ, "SNMPSIM_ALLOW_ROOT": "true"},
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err)
    a = SnmpsimAgent(HOST, port, CASES[0], proc, workdir)
    try:
        deadline = time.monotonic() + 20
        while not snmp_answers(HOST, port, CASES[0], timeout_s=0.5):
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"snmpsim did not start: {a.log_text()[-2000:]}")
            time.sleep(0.2)
        yield a
    finally:
        a.stop()
        shutil.rmtree(workdir, ignore_errors=True)


async def _read(target: SnmpTarget, group: Group) -> list[VarBind]:
    transport = PysnmpTransport()
    try:
        scalars, columns = group.oids()
        out: list[VarBind] = list(await transport.get(target, scalars)) if scalars else []
        request: dict[Oid, Oid] = {c: c for c in columns}
        for _ in range(500):
            if not request:
                break
            answer = await transport.get_bulk(target, [], list(request.values()), 25)
            step = walk_step(request, answer)
            out.extend(step.rows)
            assert step.progressed
            request = step.pending
        assert not request, "walk did not finish"
        return out
    finally:
        transport.close()


@pytest.mark.parametrize("case", CASES)
def test_recorded_walk_over_udp(agent: SnmpsimAgent, case: str) -> None:
    expected = json.loads((CASES_DIR / case / "expected.json").read_text(encoding="utf-8"))
    group = GROUPS[expected["group"]]
    target = SnmpTarget(device_id=1, name=case, address=agent.host, port=agent.port,
                        community=case, timeout_s=2.0, retries=1)
    varbinds = asyncio.run(_read(target, group))
    readings = parse_group(group, group_data(group, varbinds))
    readings_match(case, readings, expected["readings"])

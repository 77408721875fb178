"""SnmpPoller against snmpsim 1.2.2: a third-party agent that caps GETBULK answers.

snmpsim answers a GETBULK with at most ``64 // repeaters`` repetitions whatever the request
asks for (so at most 64 table varbinds), and ignores ``--max-var-binds``: it sets pysnmp's old
``maxVarBinds`` attribute, pysnmp 7 reads ``max_varbinds = 64``. A 120-interface switch can
therefore only be read in many requests.
The device is generated here (``.snmprec``, community = data file name): ifTable + ifXTable
with static values we can compare exactly, Vietnamese UTF-8 in ifAlias (not polled), and
snmpsim's ``numeric`` variation on a few ifHCIn/OutOctets and on sysUpTime so that they grow
between polls at a known rate. net-snmp's tools read the same agent as a cross-check.
"""

from __future__ import annotations

import asyncio
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from provnet.pollers.ifmib import DEFAULT_COLUMNS
from provnet.pollers.rates import compute_rates
from provnet.pollers.scheduler import PollLoop
from provnet.pollers.types import IfRates, IfSample, PollResult, SnmpTarget
from tests.support.helpers import stop_process
from tests.support.snmp_agents import (
    SNMPBULKWALK,
    SNMPGET,
    free_udp_port,
    snmp_answers,
    tool_env,
)
from tests.support.walk_poller import SnmpPoller

snmpsim = pytest.importorskip(
    "snmpsim",
    reason="snmpsim is not importable (pip install snmpsim pysmi into the venv)",
    exc_type=ImportError,
)

pytestmark = pytest.mark.integration

HOST = "127.0.0.1"
COMMUNITY = "sw-hoankiem-01"  # snmpsim: the community is the data file's name
IFACES = 120
UPLINKS = range(117, 121)  # 10G uplinks; the rest are 1G access ports
SNMPBULKGET = shutil.which("snmpbulkget") or "/usr/bin/snmpbulkget"
SNMPSIM_MAX_VARBINDS = 64  # repeated varbinds per GETBULK answer of snmpsim 1.2.2, at most
#: ifindex -> (in, out) growth of ifHCIn/OutOctets in octets/s (snmpsim ``numeric``)
GROWING: dict[int, tuple[int, int]] = {
    2: (12_500_000, 2_500_000),  # 100 / 20 Mbit/s on 1G
    61: (62_500_000, 31_250_000),  # 500 / 250 Mbit/s on 1G
    119: (250_000_000, 125_000_000),  # 2 / 1 Gbit/s on 10G
}
GROWING_INITIAL = 5 * 2**40  # well past 32 bits
UPTIME_INITIAL_TICKS = 8_640_000  # one day
RATE_TOLERANCE = 0.5  # the brief: plausible = configured rate +-50 %
POLL_GAP_S = 3.0

SYS = "1.3.6.1.2.1.1"
IF_ENTRY = "1.3.6.1.2.1.2.2.1"
IFX_ENTRY = "1.3.6.1.2.1.31.1.1.1"
HC_IN = f"{IFX_ENTRY}.6"
IF_NAME = f"{IFX_ENTRY}.1"
IF_ALIAS = f"{IFX_ENTRY}.18"


@dataclass(frozen=True)
class IfSpec:
    """What the generated agent holds for one interface (static values)."""

    ifindex: int
    name: str
    descr: str
    alias: str
    admin: int
    oper: int
    in_octets: int
    out_octets: int
    in_errors: int
    out_errors: int
    in_discards: int
    out_discards: int
    speed_mbps: int


def interface_specs() -> dict[int, IfSpec]:
    """120 varied interfaces: some down, counters past 2**32 and at the Counter32/64 tops."""
    specs: dict[int, IfSpec] = {}
    for i in range(1, IFACES + 1):
        uplink = i in UPLINKS
        admin = 2 if i % 10 == 0 else 1
        oper = 2 if admin == 2 or i % 7 == 0 else (7 if i % 23 == 0 else 1)
        alias = (
            f"Đường trục Hà Nội – Đà Nẵng #{i - UPLINKS[0] + 1}"
            if uplink
            else f"Khách hàng {i:03d} – Phường Hàng Bạc, Quận Hoàn Kiếm"
        )
        specs[i] = IfSpec(
            ifindex=i,
            name=f"Te1/1/{i - UPLINKS[0] + 1}" if uplink else f"Gi1/0/{i}",
            descr=(
                f"TenGigabitEthernet1/1/{i - UPLINKS[0] + 1}"
                if uplink
                else f"GigabitEthernet1/0/{i}"
            ),
            alias=alias,
            admin=admin,
            oper=oper,
            in_octets=2**64 - 1 if i == 100 else i * 7_919_000_003,
            out_octets=i * 104_729_000_017 % 2**63,
            in_errors=2**32 - 1 if i == 99 else i * 3,
            out_errors=i % 5,
            in_discards=i * 11,
            out_discards=2**31 + i,
            speed_mbps=10_000 if uplink else 1_000,
        )
    return specs


SPECS = interface_specs()


def snmprec(specs: dict[int, IfSpec]) -> str:
    """The agent's data file, records sorted by numeric OID (snmpsim searches it by OID)."""
    records: list[tuple[str, str, object]] = [
        (f"{SYS}.1.0", "4", "provnet snmpsim switch (120 ports)"),
        (f"{SYS}.2.0", "6", "1.3.6.1.4.1.9.1.1208"),
        (f"{SYS}.3.0", "67:numeric", f"rate=100,initial={UPTIME_INITIAL_TICKS}"),
        (f"{SYS}.5.0", "4", COMMUNITY),
        ("1.3.6.1.2.1.2.1.0", "2", len(specs)),
    ]
    for i, s in specs.items():
        hc_in: tuple[str, object] = ("70", s.in_octets)
        hc_out: tuple[str, object] = ("70", s.out_octets)
        if i in GROWING:
            rin, rout = GROWING[i]
            hc_in = ("70:numeric", f"rate={rin},initial={GROWING_INITIAL}")
            hc_out = ("70:numeric", f"rate={rout},initial={GROWING_INITIAL}")
        records += [
            (f"{IF_ENTRY}.1.{i}", "2", i),
            (f"{IF_ENTRY}.2.{i}", "4", s.descr),
            (f"{IF_ENTRY}.3.{i}", "2", 6),  # ethernetCsmacd
            (f"{IF_ENTRY}.5.{i}", "66", min(s.speed_mbps * 1_000_000, 2**32 - 1)),
            (f"{IF_ENTRY}.7.{i}", "2", s.admin),
            (f"{IF_ENTRY}.8.{i}", "2", s.oper),
            (f"{IF_ENTRY}.13.{i}", "65", s.in_discards),
            (f"{IF_ENTRY}.14.{i}", "65", s.in_errors),
            (f"{IF_ENTRY}.19.{i}", "65", s.out_discards),
            (f"{IF_ENTRY}.20.{i}", "65", s.out_errors),
            (f"{IFX_ENTRY}.1.{i}", "4", s.name),
            (f"{IFX_ENTRY}.6.{i}", *hc_in),
            (f"{IFX_ENTRY}.10.{i}", *hc_out),
            (f"{IFX_ENTRY}.15.{i}", "66", s.speed_mbps),
            # snmpsim reads data files as ISO-8859-1: UTF-8 text must go in as hex ("4x")
            (f"{IFX_ENTRY}.18.{i}", "4x", s.alias.encode().hex()),
        ]
    records.sort(key=lambda r: tuple(int(p) for p in r[0].split(".")))
    return "".join(f"{oid}|{tag}|{value}\n" for oid, tag, value in records)


# --- the agent ------------------------------------------------------------------------------


@dataclass
class SnmpsimAgent:
    """A running ``snmpsim-command-responder`` that we started (stopped by its PID)."""

    host: str
    port: int
    community: str
    process: subprocess.Popen[bytes]
    workdir: Path

    @property
    def peer(self) -> str:
        return f"{self.host}:{self.port}"

    def log_text(self) -> str:
        """snmpsim's log file and its stderr (errors before logging is set up go there)."""
        texts = []
        for name in ("snmpsim.log", "stderr.txt"):
            path = self.workdir / name
            if path.exists():
                texts.append(path.read_text(errors="replace"))
        return "\n".join(texts)

    def stop(self) -> None:
        stop_process(self.process)


def responder_command() -> list[str]:
    """The venv's ``snmpsim-command-responder`` (or the same entry point via this Python)."""
    script = Path(sys.executable).parent / "snmpsim-command-responder"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c",
            "import sys; from snmpsim.commands.responder import main; sys.exit(main())"]


def start_snmpsim(workdir: Path, startup_timeout_s: float = 15.0) -> SnmpsimAgent:
    """Write the data file, start snmpsim on 127.0.0.1:<free port>, wait until it answers.

    The port is picked free then bound by snmpsim, so another process may win it: retried.
    """
    data_dir = workdir / "data"
    data_dir.mkdir()
    (data_dir / f"{COMMUNITY}.snmprec").write_text(snmprec(SPECS), encoding="ascii")
    variation_dir = Path(snmpsim.__file__).parent / "variation"
    env = {**os.environ, "SNMPSIM_ALLOW_ROOT": "true"}  # snmpsim refuses to run as root
    failure = ""
    for _attempt in range(3):
        port = free_udp_port(HOST)
        log_file = workdir / "snmpsim.log"
        log_file.unlink(missing_ok=True)
        cmd = [
            *responder_command(),
            f"--data-dir={data_dir}",
            f"--cache-dir={workdir / 'cache'}",  # default is a shared /tmp/snmpsim
            # only the bundled modules (not ~/.snmpsim/variation); "numeric" is among them
            f"--variation-modules-dir={variation_dir}",
            f"--agent-udpv4-endpoint={HOST}:{port}",
            f"--logging-method=file:{log_file}",
            "--log-level=error",  # "info" logs every varbind of every request
        ]
        with open(workdir / "stderr.txt", "wb") as stderr:
            process = subprocess.Popen(
                cmd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=stderr,
            )
        agent = SnmpsimAgent(HOST, port, COMMUNITY, process, workdir)
        deadline = time.monotonic() + startup_timeout_s
        while time.monotonic() < deadline and process.poll() is None:
            if snmp_answers(HOST, port, COMMUNITY):
                return agent
            time.sleep(0.1)
        agent.stop()
        failure = f"exit code {process.returncode}, log: {agent.log_text()[-2000:]}"
    raise RuntimeError(f"snmpsim did not answer on {HOST}: {failure}")


@pytest.fixture(scope="module")
def agent() -> Iterator[SnmpsimAgent]:
    workdir = Path(tempfile.mkdtemp(prefix="provnet-snmpsim-"))
    try:
        a = start_snmpsim(workdir)
        try:
            yield a
        finally:
            a.stop()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def target(a: SnmpsimAgent) -> SnmpTarget:
    return SnmpTarget(1, "sw-hoankiem-01", a.host, a.port, community=a.community,
                      timeout_s=2.0, retries=1)


async def poll_times(a: SnmpsimAgent, *gaps_s: float) -> list[PollResult]:
    """Polls of the agent by one SnmpPoller: one, then one more after each of ``gaps_s``."""
    async with SnmpPoller() as poller:
        out = [await poller.poll(target(a))]
        for gap in gaps_s:
            await asyncio.sleep(gap)
            out.append(await poller.poll(target(a)))
    return out


def assert_static_columns(sample: IfSample, spec: IfSpec) -> None:
    assert sample.name == spec.name
    assert sample.admin_status == spec.admin
    assert sample.oper_status == spec.oper
    assert sample.in_errors == spec.in_errors
    assert sample.out_errors == spec.out_errors
    assert sample.in_discards == spec.in_discards
    assert sample.out_discards == spec.out_discards
    assert sample.high_speed_mbps == spec.speed_mbps


def run_tool(tool: str, *args: str) -> str:
    """Run a net-snmp command-line tool; its stdout."""
    proc = subprocess.run([tool, *args], capture_output=True, text=True, env=tool_env(),
                          check=True, timeout=30)
    return proc.stdout


def cli(tool: str, *args: str) -> list[tuple[str, str]]:
    """Run a net-snmp tool with ``-On``; ``(numeric oid without leading dot, value)`` lines."""
    rows = []
    for line in run_tool(tool, *args).splitlines():
        oid, sep, value = line.partition(" = ")
        if sep:
            rows.append((oid.lstrip("."), value))
    return rows


# --- tests ----------------------------------------------------------------------------------


def test_big_table_is_read_through_the_64_varbind_cap(agent: SnmpsimAgent) -> None:
    first, second = asyncio.run(poll_times(agent, 0.0))
    # The second poll knows the table size and asks for more repetitions: still capped.
    for res in (first, second):
        assert res.ok, res.error
        assert sorted(res.interfaces) == list(range(1, IFACES + 1))
        assert res.sys_uptime_ticks is not None
        assert res.sys_uptime_ticks >= UPTIME_INITIAL_TICKS
        for i, sample in res.interfaces.items():
            spec = SPECS[i]
            assert_static_columns(sample, spec)
            if i in GROWING:
                assert sample.in_octets is not None and sample.in_octets >= GROWING_INITIAL
                assert sample.out_octets is not None and sample.out_octets >= GROWING_INITIAL
            else:
                assert (sample.in_octets, sample.out_octets) == (spec.in_octets, spec.out_octets)
        # Every answer carried at most 64 table varbinds (+ sysUpTime, the non-repeater of
        # the first request), so the 1,200 cells needed at least 19 requests; without the
        # cap the poller's 8-then-25 repetitions would need 6.
        assert res.requests > 1
        assert res.requests >= math.ceil(IFACES * len(DEFAULT_COLUMNS) / SNMPSIM_MAX_VARBINDS)
        assert res.varbinds <= SNMPSIM_MAX_VARBINDS * res.requests + 1
    assert (second.sys_uptime_ticks or 0) >= (first.sys_uptime_ticks or 0)


def test_numeric_variation_counters_give_plausible_rates(agent: SnmpsimAgent) -> None:
    # Poll 0 teaches the poller the table size, so polls 1 and 2 send the same requests and
    # sample each counter at the same offset from ``PollResult.started``.
    _warmup, p1, p2 = asyncio.run(poll_times(agent, 0.0, POLL_GAP_S))
    assert p1.ok and p2.ok, (p1.error, p2.error)
    assert p1.requests == p2.requests

    loop = PollLoop(SnmpPoller())
    first = loop.rates_for(p1)
    assert len(first) == IFACES
    assert all(r == IfRates() for r in first.values())  # first sample: no rates yet
    rates = loop.rates_for(p2)
    assert sorted(rates) == list(range(1, IFACES + 1))

    dt = p2.started - p1.started
    assert p2.sys_uptime_ticks is not None and p1.sys_uptime_ticks is not None
    ticks = p2.sys_uptime_ticks - p1.sys_uptime_ticks
    assert dt * 100 * (1 - RATE_TOLERANCE) <= ticks <= dt * 100 * (1 + RATE_TOLERANCE)

    for i, r in rates.items():
        assert not r.reset, (i, r)
        assert not r.rejected, (i, r)
        # PollLoop.rates_for is compute_rates over the stored previous sample
        assert r == compute_rates(p1.interfaces[i], p1.started, p1.sys_uptime_ticks,
                                  p2.interfaces[i], p2.started, p2.sys_uptime_ticks)
        assert (r.in_errors_ps, r.out_errors_ps) == (0.0, 0.0)
        assert (r.in_discards_ps, r.out_discards_ps) == (0.0, 0.0)
        if i not in GROWING:
            assert (r.in_bps, r.out_bps) == (0.0, 0.0), i
            continue
        speed_bps = SPECS[i].speed_mbps * 1e6
        for got, octets_per_s, util in ((r.in_bps, GROWING[i][0], r.in_util_pct),
                                        (r.out_bps, GROWING[i][1], r.out_util_pct)):
            want = octets_per_s * 8
            assert got is not None and util is not None, (i, r)
            assert want * (1 - RATE_TOLERANCE) <= got <= want * (1 + RATE_TOLERANCE), (i, got)
            assert util == pytest.approx(got / speed_bps * 100)


def test_net_snmp_sees_the_same_table(agent: SnmpsimAgent) -> None:
    (res,) = asyncio.run(poll_times(agent))
    assert res.ok, res.error
    base = ["-v2c", "-c", agent.community, "-On", agent.peer]

    hc_in = cli(SNMPBULKWALK, *base, HC_IN)
    assert len(hc_in) == IFACES
    walked = {int(oid.rsplit(".", 1)[1]): value for oid, value in hc_in}
    assert sorted(walked) == sorted(res.interfaces)
    for i, value in walked.items():
        assert value.startswith("Counter64: ")
        if i not in GROWING:  # the growing ones moved since the poll
            assert int(value.split(": ", 1)[1]) == res.interfaces[i].in_octets

    names = {int(oid.rsplit(".", 1)[1]): value for oid, value in
             cli(SNMPBULKWALK, *base, IF_NAME)}
    assert names == {i: f'STRING: "{s.name}"' for i, s in res.interfaces.items()}

    # The cap itself: one GETBULK asking for 200 repetitions gets 64 varbinds back.
    capped = cli(SNMPBULKGET, "-Cn0", "-Cr200", *base, HC_IN)
    assert len(capped) == SNMPSIM_MAX_VARBINDS

    # Vietnamese UTF-8 survives in ifAlias (not polled by provnet, read here as raw bytes).
    for i in (1, UPLINKS[0]):
        out = run_tool(SNMPGET, "-Ox", *base, f"{IF_ALIAS}.{i}")  # hex wraps over lines
        _, sep, hex_text = out.partition(" = Hex-STRING: ")
        assert sep, out
        raw = bytes.fromhex("".join(hex_text.split()))
        assert raw.decode("utf-8") == SPECS[i].alias

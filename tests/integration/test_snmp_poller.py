"""SnmpPoller and PollLoop against a real net-snmp ``snmpd`` over UDP on loopback."""

from __future__ import annotations

import asyncio
import itertools
import socket
import time
from collections.abc import Iterator

import pytest

from provnet.pollers.ifmib import IF_HC_IN_OCTETS, IF_NAME
from provnet.pollers.rates import compute_rates
from provnet.pollers.scheduler import CycleStats, PollLoop
from provnet.pollers.types import IfRates, PollResult, SnmpTarget
from tests.support.snmp_agents import SnmpdAgent, bulkwalk, free_udp_port, start_snmpd
from tests.support.walk_poller import SnmpPoller

pytestmark = pytest.mark.integration

SILENT_HOST = "127.83.41.7"  # a loopback address nobody answers on


@pytest.fixture(scope="module")
def agent() -> Iterator[SnmpdAgent]:
    a = start_snmpd()
    yield a
    a.stop()


@pytest.fixture(scope="module")
def capped_agent() -> Iterator[SnmpdAgent]:
    """An agent that caps GETBULK answers at 13 varbinds and only shows sysUpTime + ifXTable."""
    a = start_snmpd(
        view=[".1.3.6.1.2.1.1.3", ".1.3.6.1.2.1.31.1.1.1"],
        extra_config=["maxGetbulkResponses 13"],
    )
    yield a
    a.stop()


def target(a: SnmpdAgent, device_id: int = 1, **kw: object) -> SnmpTarget:
    args: dict[str, object] = {"timeout_s": 1.0, "retries": 1, "community": a.community}
    args.update(kw)
    return SnmpTarget(device_id, f"snmpd-{device_id}", a.host, a.port, **args)  # type: ignore[arg-type]


def dead_targets(timeout_s: float = 1.0, retries: int = 1) -> list[SnmpTarget]:
    """A free port on 127.0.0.1 and a silent 127.x address: nothing will ever answer."""
    return [
        SnmpTarget(90, "dead-port", "127.0.0.1", free_udp_port(), timeout_s=timeout_s,
                   retries=retries),
        SnmpTarget(91, "dead-addr", SILENT_HOST, free_udp_port(SILENT_HOST),
                   timeout_s=timeout_s, retries=retries),
    ]


async def poll_once(t: SnmpTarget, poller: SnmpPoller | None = None) -> PollResult:
    own = poller is None
    p = poller or SnmpPoller()
    try:
        return await p.poll(t)
    finally:
        if own:
            p.close()


def loopback_traffic(total_bytes: int = 200_000, size: int = 1000) -> None:
    """Send and receive ``total_bytes`` over a UDP socket pair on 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as rx, \
            socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as tx:
        rx.bind(("127.0.0.1", 0))
        rx.settimeout(1.0)
        payload = b"x" * size
        for _ in range(total_bytes // size):
            tx.sendto(payload, rx.getsockname())
            rx.recv(size)


def test_poll_reads_real_interfaces(agent: SnmpdAgent) -> None:
    res = asyncio.run(poll_once(target(agent)))
    assert res.ok, res.error
    assert res.sys_uptime_ticks is not None and res.sys_uptime_ticks > 0
    lo = next(s for s in res.interfaces.values() if s.name == "lo")
    assert lo.oper_status == 1 and lo.admin_status == 1
    assert lo.in_octets is not None and lo.in_octets > 0
    assert lo.out_octets is not None and lo.out_octets > 0
    assert lo.in_errors is not None and lo.in_discards is not None
    assert lo.high_speed_mbps is not None
    assert res.varbinds >= 10 * len(res.interfaces)
    assert 0 < res.duration_s < 1.0
    if len(res.interfaces) < 8:  # 10 columns x 9 repetitions fit net-snmp's 100-varbind cap
        assert res.requests == 1


def test_second_poll_is_sized_to_one_request(agent: SnmpdAgent) -> None:
    async def go() -> tuple[PollResult, PollResult]:
        p = SnmpPoller(max_repetitions=2)  # too small on purpose: the first poll continues
        try:
            return await p.poll(target(agent)), await p.poll(target(agent))
        finally:
            p.close()

    first, second = asyncio.run(go())
    assert first.ok and second.ok
    assert first.requests > 1
    if len(second.interfaces) < 9:  # (rows + 1) x 10 columns <= 100
        assert second.requests == 1
        assert second.varbinds == 1 + 10 * (len(second.interfaces) + 1)
    assert second.interfaces.keys() == first.interfaces.keys()


def test_small_repetitions_give_the_same_table(agent: SnmpdAgent) -> None:
    async def go() -> tuple[PollResult, PollResult]:
        small = SnmpPoller(max_repetitions=1, max_repetitions_cap=1)
        normal = SnmpPoller()
        try:
            return await small.poll(target(agent)), await normal.poll(target(agent))
        finally:
            small.close()
            normal.close()

    small, normal = asyncio.run(go())
    assert small.ok and normal.ok
    assert small.requests >= len(normal.interfaces) + 1
    assert small.interfaces.keys() == normal.interfaces.keys()
    for ix, s in small.interfaces.items():
        n = normal.interfaces[ix]
        assert (s.name, s.oper_status, s.admin_status, s.high_speed_mbps) == (
            n.name, n.oper_status, n.admin_status, n.high_speed_mbps)


def test_capped_agent_and_restricted_view(agent: SnmpdAgent, capped_agent: SnmpdAgent) -> None:
    async def go() -> tuple[PollResult, PollResult]:
        p = SnmpPoller()
        try:
            return await p.poll(target(capped_agent, 2)), await p.poll(target(agent, 1))
        finally:
            p.close()

    capped, full = asyncio.run(go())
    assert capped.ok, capped.error
    assert capped.requests > 1  # 13 varbinds per answer cannot hold the table
    assert capped.sys_uptime_ticks is not None and capped.sys_uptime_ticks > 0
    assert capped.interfaces.keys() == full.interfaces.keys()
    for ix, s in capped.interfaces.items():
        assert s.name == full.interfaces[ix].name
        assert s.in_octets is not None and s.high_speed_mbps is not None
        assert s.oper_status is None and s.in_errors is None  # ifTable is outside the view


def test_same_rows_as_snmpbulkwalk(agent: SnmpdAgent) -> None:
    res = asyncio.run(poll_once(target(agent)))
    assert res.ok
    hc_oid = ".".join(map(str, IF_HC_IN_OCTETS))
    walked = bulkwalk(agent, hc_oid)
    names = bulkwalk(agent, ".".join(map(str, IF_NAME)))
    walked_rows = {int(oid.rsplit(".", 1)[1]): v for oid, v in walked.items()}
    ours = {ix: s for ix, s in res.interfaces.items() if s.in_octets is not None}
    assert walked_rows.keys() == ours.keys()
    for ix, text in walked_rows.items():
        kind, _, value = text.partition(": ")
        assert kind == "Counter64"
        in_octets = ours[ix].in_octets
        assert in_octets is not None and in_octets <= int(value)  # we polled first
        name = names[f"{'.'.join(map(str, IF_NAME))}.{ix}"]
        assert name == f'STRING: "{ours[ix].name}"'


def test_two_polls_give_rates_on_lo(agent: SnmpdAgent) -> None:
    async def go() -> tuple[PollResult, PollResult]:
        p = SnmpPoller()
        try:
            first = await p.poll(target(agent))
            lo_ix = next(ix for ix, s in first.interfaces.items() if s.name == "lo")
            deadline = time.monotonic() + 15
            while True:  # snmpd caches interface counters for a few seconds
                await asyncio.to_thread(loopback_traffic)
                await asyncio.sleep(1.0)
                second = await p.poll(target(agent))
                if second.interfaces[lo_ix].in_octets != first.interfaces[lo_ix].in_octets:
                    return first, second
                assert time.monotonic() < deadline, "lo counters never moved"
        finally:
            p.close()

    first, second = asyncio.run(go())
    lo_ix = next(ix for ix, s in first.interfaces.items() if s.name == "lo")
    a, b = first.interfaces[lo_ix], second.interfaces[lo_ix]
    assert a.in_octets is not None and b.in_octets is not None
    assert b.in_octets > a.in_octets
    rates = compute_rates(a, first.started, first.sys_uptime_ticks,
                          b, second.started, second.sys_uptime_ticks)
    assert not rates.reset
    dt = second.started - first.started
    expected_bps = (b.in_octets - a.in_octets) * 8 / dt
    assert a.out_octets is not None and b.out_octets is not None
    expected_out_bps = (b.out_octets - a.out_octets) * 8 / dt
    if rates.rejected:  # lo is reported as 10 Mbit/s; other tests may flood it meanwhile
        assert rates.in_bps is None or rates.out_bps is None
        assert b.high_speed_mbps
        assert max(expected_bps, expected_out_bps) > b.high_speed_mbps * 1e6 * 1.1
    else:
        assert rates.in_bps == pytest.approx(expected_bps)
        assert rates.in_bps is not None and rates.in_bps > 0
        assert rates.out_bps is not None and rates.out_bps >= 0
    for v in (rates.in_errors_ps, rates.out_errors_ps, rates.in_discards_ps):
        assert v is not None and v >= 0


def test_dead_targets_do_not_delay_a_live_one(agent: SnmpdAgent) -> None:
    dead = dead_targets(timeout_s=1.0, retries=1)  # 2 s until "timeout"
    live = target(agent)

    async def go() -> dict[str, tuple[float, PollResult]]:
        p = SnmpPoller()
        arrivals: dict[str, tuple[float, PollResult]] = {}
        t0 = time.perf_counter()
        try:
            async for res in p.poll_many([*dead, live], concurrency=8):
                arrivals[res.target.name] = (time.perf_counter() - t0, res)
        finally:
            p.close()
        return arrivals

    arrivals = asyncio.run(go())
    live_at, live_res = arrivals[live.name]
    assert live_res.ok
    assert live_at < 0.5, f"live result took {live_at:.2f} s"
    for t in dead:
        at, res = arrivals[t.name]
        assert res.error == "timeout"
        assert not res.interfaces and res.sys_uptime_ticks is None
        assert res.requests == 1 and res.varbinds == 0
        assert 1.9 <= res.duration_s <= 3.0
        assert at > live_at + 1.5


def test_wrong_community_is_a_timeout_result(agent: SnmpdAgent) -> None:
    t = target(agent, community="not-the-community", timeout_s=0.5, retries=0)
    t0 = time.perf_counter()
    res = asyncio.run(poll_once(t))
    assert res.error == "timeout"
    assert 0.45 <= res.duration_s <= 1.5
    assert time.perf_counter() - t0 < 2.0


def test_deadline_bounds_the_whole_walk(agent: SnmpdAgent) -> None:
    async def go() -> tuple[PollResult, PollResult]:
        p = SnmpPoller(deadline_s=0.3)
        try:
            dead = await p.poll(dead_targets(timeout_s=5.0, retries=2)[0])
            live = await p.poll(target(agent))  # the shared dispatcher still works
            return dead, live
        finally:
            p.close()

    dead, live = asyncio.run(go())
    assert dead.error == "deadline exceeded"
    assert 0.25 <= dead.duration_s < 1.0
    assert live.ok


def test_unusable_target_is_an_error_result_not_an_exception() -> None:
    # no name lookups here: tests send traffic to 127.0.0.0/8 only
    bad_port = SnmpTarget(5, "bad-port", "127.0.0.1", 70000, timeout_s=0.5, retries=0)
    res = asyncio.run(poll_once(bad_port))
    assert res.error == "bad target: port" and res.requests == 0
    not_ipv4 = SnmpTarget(6, "ipv6-literal", "::1", 161, timeout_s=0.5, retries=0)
    res = asyncio.run(poll_once(not_ipv4))
    assert res.error == "unresolvable address" and res.duration_s < 0.5


def test_poll_loop_cycles_with_rates(agent: SnmpdAgent) -> None:
    seen: list[tuple[float, PollResult, dict[int, IfRates]]] = []
    dead = dead_targets(timeout_s=0.5, retries=0)[:1]
    live = target(agent)

    async def go() -> tuple[CycleStats, CycleStats, float]:
        p = SnmpPoller()
        loop = PollLoop(p, on_result=lambda r, rates: seen.append((time.perf_counter(), r, rates)))
        try:
            t0 = time.perf_counter()
            s1 = await loop.run_cycle([*dead, live])
            await asyncio.sleep(0.5)
            s2 = await loop.run_cycle([*dead, live])
            return s1, s2, t0
        finally:
            p.close()

    s1, s2, t0 = asyncio.run(go())
    for s in (s1, s2):
        assert (s.devices_ok, s.devices_failed, s.devices) == (1, 1, 2)
        assert s.varbinds > 0 and s.cpu_s > 0
        assert 0.45 <= s.duration_s < 2.0
    assert len(seen) == 4
    first_live = next(x for x in seen if x[1].ok)
    assert first_live[0] - t0 < 0.4  # delivered before the dead device's timeout
    assert all(rates == {} for _, r, rates in seen if not r.ok)
    live_rates = [rates for _, r, rates in seen if r.ok]
    assert all(rt == IfRates() for rt in live_rates[0].values())  # first sample: no rates
    second = live_rates[1]
    assert second.keys() == live_rates[0].keys()
    assert all(not rt.reset for rt in second.values())
    assert any(rt.in_bps is not None or rt.rejected for rt in second.values())


def collect_cycles(targets: list[SnmpTarget], interval_s: float, n: int) -> list[CycleStats]:
    """Run ``PollLoop.run_forever`` until ``n`` cycles have ended; return their stats."""
    cycles: list[CycleStats] = []

    async def go() -> None:
        p = SnmpPoller()
        stop = asyncio.Event()

        def on_cycle(stats: CycleStats) -> None:
            cycles.append(stats)
            if len(cycles) == n:
                stop.set()

        try:
            await asyncio.wait_for(
                PollLoop(p).run_forever(lambda: targets, interval_s, on_cycle, stop), 10
            )
        finally:
            p.close()

    asyncio.run(go())
    return cycles


@pytest.mark.serial  # a 0.4 s period with no overrun: timing under load, runs alone
def test_run_forever_runs_fixed_rate_cycles_until_stopped(agent: SnmpdAgent) -> None:
    cycles = collect_cycles([target(agent)], 0.4, 3)
    assert len(cycles) == 3
    assert all(c.devices_ok == 1 and not c.overrun for c in cycles)
    gaps = [b.started - a.started for a, b in itertools.pairwise(cycles)]
    assert all(0.3 <= g <= 0.6 for g in gaps), gaps


def test_overrunning_cycle_is_flagged(agent: SnmpdAgent) -> None:
    cycles = collect_cycles(dead_targets(timeout_s=0.5, retries=0)[:1], 0.2, 2)
    assert [c.overrun for c in cycles] == [True, True]
    assert cycles[1].started - cycles[0].started < 0.8  # next cycle started at once

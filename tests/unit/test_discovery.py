"""Table-driven tests of pollers.discovery (pure: no SNMP)."""

from __future__ import annotations

from typing import Any

import pytest

from provnet.pollers import discovery as d
from provnet.pollers.ifmib import (
    IF_HC_IN_OCTETS,
    IF_HC_OUT_OCTETS,
    IF_HIGH_SPEED,
    IF_NAME,
    IF_OPER_STATUS,
    SYS_UPTIME,
    VarBind,
)


def memo(**kw: Any) -> d.DeviceMemo:
    return d.DeviceMemo(**{"discovered_at": 1000.0, "uptime": 50_000, "last_change": 0, **kw})


@pytest.mark.parametrize(("m", "now", "uptime", "last_change", "every", "want"), [
    (None, 0.0, None, None, 3600, "first contact"),
    (memo(), 1010.0, 51_000, 0, 3600, None),
    (memo(), 1010.0, 40, 0, 3600, "reboot"),
    (memo(), 1010.0, 51_000, 77, 3600, "ifTableLastChange"),
    (memo(last_change=None), 1010.0, 51_000, 77, 3600, None),  # agent without it before
    (memo(), 1010.0, 51_000, None, 3600, None),  # agent without ifTableLastChange
    (memo(), 4600.0, 51_000, 0, 3600, "periodic"),
    (memo(), 4599.0, 51_000, 0, 3600, None),
    (memo(uptime=None), 1010.0, 10, 0, 3600, None),  # no uptime known: cannot tell a reboot
    (memo(), 1010.0, None, 0, 3600, None),
], ids=["first", "steady", "reboot", "table-changed", "lastchange-appears", "no-lastchange",
        "periodic", "just-before-periodic", "no-prev-uptime", "no-uptime"])
def test_rediscovery_reason(m: d.DeviceMemo | None, now: float, uptime: int | None,
                            last_change: int | None, every: float, want: str | None) -> None:
    assert d.rediscovery_reason(m, now, uptime, last_change, every) == want


def walk(rows: dict[int, dict[tuple[int, ...], Any]]) -> list[VarBind]:
    return [((*col, idx), val) for idx, row in rows.items() for col, val in row.items()]


DISCOVERY_CASES = [
    ("hc-interface", {1: {IF_NAME: "ge1", d.IF_ALIAS: "to POP", IF_HIGH_SPEED: 1000,
                          d.IF_TYPE: 6, IF_HC_IN_OCTETS: 5, IF_HC_OUT_OCTETS: 6,
                          d.IF_IN_OCTETS: 5, IF_OPER_STATUS: 1}},
     {1: dict(name="ge1", alias="to POP", high_speed_mbps=1000, if_type=6, hc=True)},
     {1: dict(in_octets=5, out_octets=6, counter_bits=64, oper_status=1)}),
    ("32-bit-only", {3: {(1, 3, 6, 1, 2, 1, 2, 2, 1, 2): "eth0", d.IF_IN_OCTETS: 7,
                         d.IF_OUT_OCTETS: 8, IF_HC_IN_OCTETS: None}},
     {3: dict(name="eth0", alias=None, hc=False)},
     {3: dict(in_octets=7, out_octets=8, counter_bits=32)}),
    ("ifname-wins-over-descr", {2: {IF_NAME: "Gi0/2", (1, 3, 6, 1, 2, 1, 2, 2, 1, 2): "long"}},
     {2: dict(name="Gi0/2", hc=True)}, {2: dict(in_octets=None, counter_bits=64)}),
    ("foreign-and-multi-index-ignored", {5: {IF_NAME: "x"}}, {5: dict(name="x")}, {5: {}}),
]


@pytest.mark.parametrize(("name", "rows", "metas", "samples"), DISCOVERY_CASES,
                         ids=[c[0] for c in DISCOVERY_CASES])
def test_parse_discovery(name: str, rows: Any, metas: Any, samples: Any) -> None:
    vbs = [*walk(rows), ((1, 3, 6, 1, 4, 1, 9, 1), 1), ((*IF_NAME, 5, 1), "multi")]
    got_metas, got_samples = d.parse_discovery(vbs)
    assert sorted(got_metas) == sorted(metas)
    for idx, want in metas.items():
        for k, v in want.items():
            assert getattr(got_metas[idx], k) == v, (idx, k)
    for idx, want in samples.items():
        for k, v in want.items():
            assert getattr(got_samples[idx], k) == v, (idx, k)


def test_poll_oids_and_parse_poll_round_trip() -> None:
    m = memo(ifaces={1: d.IfMeta(1, "ge1", high_speed_mbps=1000),
                     4: d.IfMeta(4, "old", hc=False)})
    oids = d.poll_oids(m)
    assert len(oids) == 2 * 9
    assert (*IF_HC_IN_OCTETS, 1) in oids and (*d.IF_IN_OCTETS, 4) in oids
    assert (*IF_HC_IN_OCTETS, 4) not in oids
    answer: list[VarBind] = [(SYS_UPTIME, 9)] + [(oid, 42) for oid in oids]
    samples, vanished = d.parse_poll(m, answer)
    assert not vanished
    assert samples[1].name == "ge1" and samples[1].high_speed_mbps == 1000
    assert samples[1].in_octets == 42 and samples[1].counter_bits == 64
    assert samples[4].counter_bits == 32 and samples[4].in_octets == 42
    # interface 4 gone: noSuchInstance everywhere -> vanished
    gone = [(oid, None if oid[-1] == 4 else 1) for oid in oids]
    samples, vanished = d.parse_poll(m, gone)
    assert vanished and sorted(samples) == [1]


@pytest.mark.parametrize(("n", "size", "want"), [(0, 64, []), (3, 64, [3]), (130, 64, [64, 64, 2]),
                                                 (64, 64, [64])])
def test_chunks(n: int, size: int, want: list[int]) -> None:
    oids = [(1, i) for i in range(n)]
    parts = d.chunks(oids, size)
    assert [len(p) for p in parts] == want
    assert [o for p in parts for o in p] == oids


def test_scalars_of() -> None:
    assert d.scalars_of([(SYS_UPTIME, 5), (d.IF_TABLE_LAST_CHANGE, 3)]) == (5, 3)
    assert d.scalars_of([(SYS_UPTIME, None), (d.IF_TABLE_LAST_CHANGE, "x")]) == (None, None)

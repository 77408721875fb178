"""Table-driven tests of the pure trap parser, its point, and LiveState.apply_trap."""

from __future__ import annotations

import pytest

from provnet.pollers.ifmib import Value, VarBind
from provnet.pollers.live import LiveState
from provnet.pollers.traps import TrapEvent, parse_trap, trap_point
from provnet.pollers.types import IfRates, IfSample, PollResult, SnmpTarget

UPTIME = ((1, 3, 6, 1, 2, 1, 1, 3, 0), 4242)
LINK_DOWN = ((1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0), "1.3.6.1.6.3.1.1.5.3")
LINK_UP = ((1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0), "1.3.6.1.6.3.1.1.5.4")
COLD = ((1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0), "1.3.6.1.6.3.1.1.5.1")
WARM = ((1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0), "1.3.6.1.6.3.1.1.5.2")


def col(column: int, row: int, value: Value) -> VarBind:
    return ((1, 3, 6, 1, 2, 1, 2, 2, 1, column, row), value)


CASES: list[tuple[str, list[VarBind], tuple[object, ...] | None]] = [
    # (case, varbinds, (kind, ifindex, uptime, oper, admin, oper_up) or None)
    ("net-snmp linkDown", [UPTIME, LINK_DOWN, col(1, 3, 3), col(7, 3, 1), col(8, 3, 2)],
     ("link-down", 3, 4242, 2, 1, False)),
    ("linkUp", [UPTIME, LINK_UP, col(1, 5, 5), col(7, 5, 1), col(8, 5, 1)],
     ("link-up", 5, 4242, 1, 1, True)),
    ("ifIndex only from the row of ifOperStatus", [UPTIME, LINK_DOWN, col(8, 12, 2)],
     ("link-down", 12, 4242, 2, None, False)),
    ("linkDown without any varbind", [UPTIME, LINK_DOWN], ("link-down", None, 4242, None, None,
                                                          False)),
    ("linkDown whose oper varbind says up wins", [LINK_DOWN, col(8, 2, 1)],
     ("link-down", 2, None, 1, None, True)),
    ("coldStart", [UPTIME, COLD], ("cold-start", None, 4242, None, None, None)),
    ("warmStart ignores interface varbinds", [UPTIME, WARM, col(1, 1, 1)],
     ("warm-start", None, 4242, None, None, None)),
    ("uptime of the wrong type", [((1, 3, 6, 1, 2, 1, 1, 3, 0), "x"), COLD],
     ("cold-start", None, None, None, None, None)),
    ("enterprise trap", [UPTIME, ((1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0), "1.3.6.1.4.1.2011.5.25")],
     None),
    ("no snmpTrapOID", [UPTIME, col(1, 1, 1)], None),
    ("snmpTrapOID not an OID", [UPTIME, ((1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0), 7)], None),
    ("empty", [], None),
]


@pytest.mark.parametrize(("case", "varbinds", "expected"), CASES, ids=[c[0] for c in CASES])
def test_parse_trap(case: str, varbinds: list[VarBind], expected: tuple[object, ...] | None
                    ) -> None:
    event = parse_trap("127.10.1.2", varbinds, 1000.0)
    if expected is None:
        assert event is None
        return
    assert event is not None
    assert (event.source, event.time) == ("127.10.1.2", 1000.0)
    assert (event.kind, event.ifindex, event.uptime_ticks, event.oper_status,
            event.admin_status, event.oper_up) == expected


def test_trap_point() -> None:
    event = TrapEvent("127.10.1.2", "link-down", 1700000000.25, 3, 4242, 2)
    point = trap_point(event, {"device": "ag-c1", "site": "UB-1"})
    assert point.measurement == "snmp_trap"
    assert point.tags == {"device": "ag-c1", "site": "UB-1", "kind": "link-down", "ifindex": "3"}
    assert point.fields == {"source": "127.10.1.2", "uptime_ticks": 4242, "oper_status": 2}
    assert point.time_ns == 1700000000_250000000
    cold = trap_point(TrapEvent("127.10.1.2", "cold-start", 1.0), {})
    assert cold.tags == {"kind": "cold-start"} and cold.fields == {"source": "127.10.1.2"}


def test_live_state_apply_trap_changes_only_polled_interfaces() -> None:
    live = LiveState()
    target = SnmpTarget(7, "ag-c1", "127.10.1.2")
    sample = IfSample(3, "ge-0/0/3", oper_status=1, admin_status=1, in_octets=10)
    live.update(PollResult(target, 100.0, 0.1, interfaces={3: sample}), {3: IfRates(in_bps=5.0)})
    assert live.apply_trap(7, 3, False, 101.0)
    state = live.interface(7, 3)
    assert state is not None and state.sample.oper_status == 2
    assert state.time == 100.0 and state.rates.in_bps == 5.0 and state.sample.in_octets == 10
    assert live.apply_trap(7, 3, True, 102.0)
    state = live.interface(7, 3)
    assert state is not None and state.sample.oper_status == 1
    assert not live.apply_trap(7, 4, False, 103.0) and live.interface(7, 4) is None

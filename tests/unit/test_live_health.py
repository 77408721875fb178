"""LiveState keeps health, optics and ICMP per device across polls (pure, no I/OPTIC)."""

from __future__ import annotations

from provnet.pollers.live import LiveState
from provnet.pollers.readings import HealthReading, IcmpReading, OpticReading
from provnet.pollers.types import PollResult, SnmpTarget

T = SnmpTarget(5, "ag-ub-1", "127.0.0.5")
H = HealthReading(cpu_pct=20.0, mem_used_pct=40.0)
OPTIC = OpticReading("67109121", 1, "GE0/0/0", rx_dbm=-7.5)
PING = IcmpReading("127.0.0.5", 4, 4, 0.0, 0.1, 0.2, 0.3)


def test_health_kept_across_failed_polls_and_icmp_kept_across_polls() -> None:
    live = LiveState()
    live.update_icmp(5, PING, 99.0)
    first = live.device(5)
    assert first is not None and not first.polled and first.icmp == PING
    live.update(PollResult(T, 100.0, 0.1, readings=(H, OPTIC)), {})
    st = live.device(5)
    assert st is not None and st.polled and st.ok
    assert st.health == H and st.health_time == 100.0 and st.optics == (OPTIC,)
    assert st.icmp == PING and st.icmp_time == 99.0
    live.update(PollResult(T, 110.0, 2.0, error="timeout", error_kind="timeout"), {})
    st = live.device(5)
    assert st is not None and not st.ok and st.error_kind == "timeout"
    assert st.health == H and st.health_time == 100.0  # last known, with its time
    assert st.optics == (OPTIC,)
    live.update_icmp(5, PING, 120.0)
    st = live.device(5)
    assert st is not None and st.error_kind == "timeout" and st.icmp_time == 120.0

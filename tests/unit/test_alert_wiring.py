"""The glue between collectors and alerting: AlertsHandle's trap/optics/ICMP entry points
(real CycleCollector, no book needed) and the ICMP listener hook of features.icmp.attach."""

from __future__ import annotations

from typing import Any

from provnet.alerts.observe import CycleCollector, LinkEnd
from provnet.alerts.runner import AlertsHandle
from provnet.config.icmp import IcmpSettings
from provnet.features import icmp as icmp_feature
from provnet.pollers.readings import IcmpReading, OpticReading
from provnet.pollers.traps import TrapEvent
from provnet.pollers.types import IfSample, PollResult, SnmpTarget
from tests.unit.test_icmp import FakePinger, StubService, run_background

LABELS = {7: {"device": "ag-pop-891", "device_id": "7", "site": "POP-891"}}
ENDS = {7: {3: LinkEnd(12, "a")}}


def _handle() -> AlertsHandle:
    collector = CycleCollector(LABELS, ENDS, {12: {"link": "12", "site": "POP-891"}})
    return AlertsHandle(None, collector, None, 10.0)  # type: ignore[arg-type]


def test_linkdown_trap_is_queued_at_once_as_an_event_batch() -> None:
    h = _handle()
    h.on_trap(TrapEvent("127.10.1.2", "link-down", 50.0, 3, 1, 2, 1), 7)
    h.on_trap(TrapEvent("127.10.1.2", "link-up", 51.0, 3, 1, 1, 1), 7)      # left to the poll
    h.on_trap(TrapEvent("127.10.1.2", "link-down", 52.0, 4, 1, 2, 1), 7)    # not a link port
    h.on_trap(TrapEvent("127.10.1.2", "cold-start", 53.0), 7)
    batch, confirm = h._batches.get_nowait()
    assert not confirm
    assert [(o.entity, o.metric, o.value, o.time) for o in batch] == [
        ("link:12", "link.up", 0.0, 50.0)]
    assert h._batches.empty()
    assert h.collector.flush() == []  # the cycle batch is untouched


def test_polled_optics_and_icmp_join_the_cycle_batch() -> None:
    h = _handle()
    result = PollResult(SnmpTarget(7, "ag-pop-891", "127.10.1.2"), 100.0, 0.2,
                        interfaces={3: IfSample(3, "GE0/0/3", oper_status=2, admin_status=1)},
                        readings=(OpticReading("1", ifindex=3, name="GE0/0/3", rx_dbm=-40.0),))
    h.on_result(result, {})
    h.on_icmp(7, IcmpReading("127.10.1.2", 4, 4, 0.0, 1.0, 2.0, 3.0), 101.0)
    h.on_cycle(None)  # type: ignore[arg-type]
    batch, confirm = h._batches.get_nowait()
    assert confirm
    got = {(o.entity, o.metric): o for o in batch}
    optic = got[("optic:7:GigabitEthernet0/0/3", "optic.rx_dbm")]  # the full port name
    assert optic.value == -40.0 and optic.labels["link"] == "12" and optic.time == 100.0
    assert got[("icmp:7", "icmp.rtt_ms")].value == 2.0
    assert got[("icmp:7", "icmp.loss_pct")].labels["site"] == "POP-891"
    assert got[("link:12", "link.up")].value == 0.0


def test_attach_icmp_calls_listeners_and_survives_a_failing_one() -> None:
    service = StubService(IcmpSettings(interval_s=0.05, count=2))
    seen: list[tuple[int, Any, float]] = []

    def broken(device_id: int, reading: IcmpReading, at: float) -> None:
        raise RuntimeError("boom")

    assert icmp_feature.attach(service, [broken, lambda d, r, t: seen.append((d, r, t))],  # type: ignore[arg-type]
                               FakePinger({"127.0.0.1": [0.3]}, delay_s=0.0))
    ((_, task),) = service.background
    run_background(task)
    assert {d for d, _, _ in seen} == {1, 2}
    assert any(r.received == 1 for d, r, _ in seen if d == 1)
    assert service.points  # points still queued despite the failing listener


def test_on_optics_keeps_snmp_over_a_recent_ssh_reading_of_the_same_port() -> None:
    """One optic, one truth: a dark port read -40 dBm by SNMP is not cleared by an SSH
    reading of the same port taken moments later (the demo used to alternate the two)."""
    from provnet.pollers.ssh.types import OpticReading as SshOptic

    h = _handle()
    snmp = PollResult(SnmpTarget(7, "ag-pop-891", "127.10.1.2"), 100.0, 0.2,
                      interfaces={3: IfSample(3, "GE0/0/3", oper_status=2, admin_status=1)},
                      readings=(OpticReading("1", ifindex=3, name="GE0/0/3", rx_dbm=-40.0),))
    h.on_result(snmp, {})
    h.on_optics(7, [SshOptic("GE0/0/3", rx_dbm=-13.6)], 105.0)   # SNMP is recent: dropped
    h.on_optics(7, [SshOptic("GE0/0/3", rx_dbm=-12.0)], 200.0)   # SNMP went quiet: used
    h.on_cycle(None)  # type: ignore[arg-type]
    batch, _ = h._batches.get_nowait()
    rx = [(o.time, o.value, o.labels.get("link")) for o in batch if o.metric == "optic.rx_dbm"]
    assert rx == [(100.0, -40.0, "12"), (200.0, -12.0, "12")]

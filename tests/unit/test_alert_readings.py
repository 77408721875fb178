"""Optics (SNMP, SSH) and ICMP readings -> observations, and the default rules they feed."""

from __future__ import annotations

from typing import Any

import pytest

from provnet.alerts.engine import Engine, Observation
from provnet.alerts.observe import LinkEnd
from provnet.alerts.readings import OpticPrecedence, icmp_observations, optic_observations
from provnet.alerts.rules import load_rules
from provnet.pollers.readings import IcmpReading, OpticReading
from provnet.pollers.ssh.types import OpticReading as SshOpticReading

LABELS = {"device": "ag-pop-891", "device_id": "7", "site": "POP-891", "role": "pop"}
LINKS = {3: LinkEnd(12, "a")}


@pytest.mark.parametrize(("reading", "expected"), [
    # SNMP, port name and ifindex known, on a link
    (OpticReading("67108992", ifindex=3, name="GigabitEthernet0/0/3", rx_dbm=-40.0),
     ("optic:7:GigabitEthernet0/0/3", -40.0, {"ifname": "GigabitEthernet0/0/3",
                                              "ifindex": "3", "link": "12",
                                              "sensor": "67108992"})),
    # SNMP, Cisco's short ifName: keyed by the full name, as the SSH reading of the port
    (OpticReading("1004", ifindex=3, name="Gi0/0/3", rx_dbm=-8.0),
     ("optic:7:GigabitEthernet0/0/3", -8.0, {"ifname": "GigabitEthernet0/0/3",
                                             "ifindex": "3", "link": "12", "sensor": "1004"})),
    # SNMP, no name: keyed by ifindex; not a link port
    (OpticReading("5", ifindex=9, rx_dbm=-7.5),
     ("optic:7:if9", -7.5, {"ifindex": "9", "sensor": "5"})),
    # SNMP, neither name nor ifindex: keyed by the sensor index
    (OpticReading("1.2", rx_dbm=-3.0), ("optic:7:sensor1.2", -3.0, {"sensor": "1.2"})),
    # SSH: name only
    (SshOpticReading("GigabitEthernet0/0/1", rx_dbm=-26.1, tx_dbm=-2.0),
     ("optic:7:GigabitEthernet0/0/1", -26.1, {"ifname": "GigabitEthernet0/0/1"})),
    # SSH with the ifindex OpticPrecedence learnt from SNMP: link labels too
    (SshOpticReading("GigabitEthernet0/0/3", rx_dbm=-40.0, ifindex=3),
     ("optic:7:GigabitEthernet0/0/3", -40.0, {"ifname": "GigabitEthernet0/0/3",
                                              "ifindex": "3", "link": "12"})),
    # no Rx level (module absent, Tx only): nothing
    (OpticReading("6", ifindex=3, tx_dbm=-2.0), None),
    (SshOpticReading("Gi0/0/2"), None),
])
def test_optic_observations(reading: Any, expected: tuple[str, float, dict[str, str]] | None,
                            ) -> None:
    got = optic_observations(7, [reading], 100.0, LABELS, LINKS)
    if expected is None:
        assert got == []
        return
    entity, value, extra = expected
    assert got == [Observation(entity, "optic.rx_dbm", value, 100.0, {**LABELS, **extra})]


@pytest.mark.parametrize(("reading", "expected"), [
    (IcmpReading("127.10.1.2", 4, 4, 0.0, 1.0, 2.5, 4.0),
     [("icmp.loss_pct", 0.0), ("icmp.rtt_ms", 2.5)]),
    (IcmpReading("127.10.1.2", 4, 1, 75.0, 180.0, 180.0, 180.0),
     [("icmp.loss_pct", 75.0), ("icmp.rtt_ms", 180.0)]),
    # nothing came back: loss only, no RTT
    (IcmpReading("127.10.1.2", 4, 0, 100.0), [("icmp.loss_pct", 100.0)]),
])
def test_icmp_observations(reading: IcmpReading, expected: list[tuple[str, float]]) -> None:
    got = icmp_observations(7, reading, 100.0, LABELS)
    assert [(o.metric, o.value) for o in got] == expected
    assert all(o.entity == "icmp:7" and o.time == 100.0 for o in got)
    assert all(o.labels == {**LABELS, "address": "127.10.1.2"} for o in got)


class Clock:
    now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def _run(batches: list[list[Observation]], step: float) -> dict[str, str]:
    """Feed the default rules one batch per ``step`` seconds; alert key -> state."""
    clock = Clock()
    engine = Engine(load_rules(), clock)
    for batch in batches:
        clock.now += step
        engine.evaluate([Observation(o.entity, o.metric, o.value, clock.now, o.labels)
                         for o in batch])
    return {k: a.state for k, a in engine.alerts.items() if a.state != "inactive"}


def _optic(rx: float) -> list[Observation]:
    return optic_observations(7, [OpticReading("1", ifindex=3, name="GE0/0/3", rx_dbm=rx)],
                              0.0, LABELS, LINKS)  # keyed by the full name: GigabitEthernet


def _icmp(loss: float, rtt: float | None) -> list[Observation]:
    return icmp_observations(7, IcmpReading("127.10.1.2", 10, round(10 - loss / 10), loss,
                                            rtt, rtt, rtt), 0.0, LABELS)


@pytest.mark.parametrize(("batches", "step", "expected"), [
    # Rx below -25 dBm for the rule's 1 min: optic_rx_low fires
    ([_optic(-40.0)] * 8, 10.0, {"optic_rx_low|optic:7:GigabitEthernet0/0/3": "firing"}),
    ([_optic(-40.0)] * 3, 10.0, {"optic_rx_low|optic:7:GigabitEthernet0/0/3": "pending"}),
    ([_optic(-5.0)] * 8, 10.0, {}),
    # falling 3 dB/h over the 1 h slope window, for 10 min: optic_rx_falling (Rx still fine)
    ([_optic(-5.0 - 3.0 * i / 60) for i in range(90)], 60.0,
     {"optic_rx_falling|optic:7:GigabitEthernet0/0/3": "firing"}),
    # latency above 150 ms for 2 min: latency_high; loss above 20 % for 2 min: packet_loss
    ([_icmp(0.0, 200.0)] * 5, 30.0, {"latency_high|icmp:7": "firing"}),
    ([_icmp(50.0, 3.0)] * 5, 30.0, {"packet_loss|icmp:7": "firing"}),
    ([_icmp(100.0, None)] * 5, 30.0, {"packet_loss|icmp:7": "firing"}),
    ([_icmp(0.0, 3.0)] * 5, 30.0, {}),
])
def test_default_rules_fire_on_readings(batches: list[list[Observation]], step: float,
                                        expected: dict[str, str]) -> None:
    assert _run(batches, step) == expected


def test_optic_alert_on_a_failed_links_port_joins_the_link_incident(tmp_path: Any) -> None:
    """On the incident-test network (PoP 2's uplink is link 100, core 1 at its Z end), the
    core's port optic on link 100 goes dark: that alert is a consequence of the link root,
    not an incident of its own; a dark optic on a healthy link is its own incident."""
    from provnet.alerts.incidents import IncidentBook
    from provnet.alerts.rules import parse_rules
    from tests.unit.test_alert_incidents import RULES, World, observations, view

    rules = {"rules": [*RULES["rules"], {"name": "optic_rx_low", "metric": "optic.rx_dbm",
                                         "op": "below", "raise": -25, "clear": -23,
                                         "for": 0, "severity": "major"}]}

    class OpticWorld(World):
        def new_book(self) -> IncidentBook:
            engine = Engine(parse_rules(rules), self.clock)
            book = IncidentBook(self.store, engine, view(), self.outbox, self.settings,
                                self.clock)
            book.restore()
            return book

    w = OpticWorld(tmp_path / "a.sqlite")
    core = view().devices[1].labels()
    dark = [OpticReading("1", ifindex=100, name="to-pop-2", rx_dbm=-40.0)]
    for _ in range(2):  # link 100 down and the core's port on it dark, in the same cycles
        w.clock.now += 10
        w.book.process(observations({100}, {2, 10, 11}, w.clock.now) + optic_observations(
            1, dark, w.clock.now, core, {100: LinkEnd(100, "z")}))
    incs = w.incidents()
    assert [i.group_key for i in incs] == ["link:100"]
    with w.store.session() as s:
        from sqlalchemy import select

        from provnet.alerts.model import Alert
        optic = s.scalars(select(Alert).where(Alert.rule == "optic_rx_low")).one()
        assert optic.incident_id == incs[0].id and optic.suppressed
    # a dark optic on a port of a healthy link (link 101): an incident of its own
    for _ in range(2):
        w.clock.now += 10
        w.book.process(observations({100}, {2, 10, 11}, w.clock.now) + optic_observations(
            1, [OpticReading("2", ifindex=101, name="to-pop-3", rx_dbm=-30.0)], w.clock.now,
            core, {101: LinkEnd(101, "z")}))
    assert len(w.incidents()) == 2
    w.store.close()


def test_ssh_collection_optics_feed_the_optic_rule() -> None:
    """A recorded Huawei optics output with a port in loss of signal: the SSH job keeps the
    readings per device, and the adapter turns the dark port into an optic_rx_low breach."""
    from pathlib import Path

    from provnet.pollers.ssh.jobs import parse_collection
    from provnet.pollers.ssh.platforms import load_platforms
    from provnet.pollers.ssh.types import SshLogin, SshResult, SshTarget

    out = (Path(__file__).parents[1] / "data/ssh/huawei_vrp/optics_los/output.txt").read_text()
    target = SshTarget(7, "ag-pop-891", "127.0.0.1", 22, "huawei_vrp", SshLogin("u"))
    rep = parse_collection([SshResult(target, 100.0, 1.0, {"optics": out})], load_platforms(),
                           {7: LABELS})
    started, readings = rep.optics[7]
    assert started == 100.0 and readings
    obs = optic_observations(7, readings, started, LABELS)
    rule = load_rules().by_name["optic_rx_low"]
    dark = [o for o in obs if o.value is not None and rule.breaches(o.value)]
    assert dark and all(o.entity.startswith("optic:7:") for o in dark)


# --- SNMP over SSH --------------------------------------------------------------------------
PORT = "GigabitEthernet0/0/3"


def snmp(rx: float | None, name: str = PORT, ifindex: int | None = 3) -> OpticReading:
    return OpticReading("67108992", ifindex=ifindex, name=name, rx_dbm=rx)


def ssh(rx: float, name: str = PORT) -> SshOpticReading:
    return SshOpticReading(name, rx_dbm=rx)


# (device, reading, time) in arrival order -> the Rx levels admitted, in order
PRECEDENCE: list[tuple[str, list[tuple[int, Any, float]], list[float | None]]] = [
    ("no SNMP reading of the port: SSH is used", [(7, ssh(-13.6), 100.0)], [-13.6]),
    ("SNMP always passes", [(7, snmp(-40.0), 100.0), (7, snmp(-39.0), 110.0)],
     [-40.0, -39.0]),
    ("SSH 5 s after SNMP: SNMP is the truth", [(7, snmp(-40.0), 100.0), (7, ssh(-13.6), 105.0)],
     [-40.0]),
    ("SSH read before the last SNMP reading arrives late: dropped",
     [(7, snmp(-40.0), 100.0), (7, ssh(-13.6), 95.0)], [-40.0]),
    ("SSH at the same time as SNMP: SNMP wins", [(7, snmp(-40.0), 100.0), (7, ssh(-13.6), 100.0)],
     [-40.0]),
    ("SSH exactly recent_s after SNMP: still dropped",
     [(7, snmp(-40.0), 100.0), (7, ssh(-13.6), 125.0)], [-40.0]),
    ("SNMP stale (device stopped answering SNMP): SSH is used",
     [(7, snmp(-40.0), 100.0), (7, ssh(-13.6), 125.5)], [-40.0, -13.6]),
    ("an SNMP reading without an Rx level does not count",
     [(7, snmp(None), 100.0), (7, ssh(-13.6), 105.0)], [None, -13.6]),
    ("another port's SNMP reading does not count",
     [(7, snmp(-40.0, "GigabitEthernet0/0/4", 4), 100.0), (7, ssh(-13.6), 105.0)],
     [-40.0, -13.6]),
    ("another device's SNMP reading does not count",
     [(8, snmp(-40.0), 100.0), (7, ssh(-13.6), 105.0)], [-40.0, -13.6]),
    ("Cisco short ifName over SNMP is the same port as the CLI's full name",
     [(7, snmp(-40.0, "Gi0/0/3"), 100.0), (7, ssh(-13.6), 105.0)], [-40.0]),
    ("a late SNMP reading does not move the clock back",
     [(7, snmp(-40.0), 100.0), (7, snmp(-41.0), 80.0), (7, ssh(-13.6), 120.0)],
     [-40.0, -41.0]),
]


@pytest.mark.parametrize(("events", "admitted"), [c[1:] for c in PRECEDENCE],
                         ids=[c[0] for c in PRECEDENCE])
def test_optic_precedence(events: list[tuple[int, Any, float]],
                          admitted: list[float | None]) -> None:
    prec = OpticPrecedence(recent_s=25.0)
    got: list[float | None] = []
    for device, reading, t in events:
        got += [r.rx_dbm for r in prec.admit(device, [reading], t)]
    assert got == admitted


def test_admitted_ssh_reading_gets_the_ifindex_snmp_taught() -> None:
    prec = OpticPrecedence(recent_s=25.0)
    prec.admit(7, [snmp(-40.0)], 100.0)
    (r,) = prec.admit(7, [ssh(-40.0)], 200.0)
    (obs,) = optic_observations(7, [r], 200.0, LABELS, LINKS)
    assert obs.entity == f"optic:7:{PORT}" and obs.labels["link"] == "12"
    prec.forget([8])
    (r,) = prec.admit(7, [ssh(-40.0)], 201.0)
    assert isinstance(r, SshOpticReading) and r.ifindex is None  # forgotten with its device


def test_bad_recent_s_rejected() -> None:
    with pytest.raises(ValueError, match="recent_s"):
        OpticPrecedence(-1.0)


def test_snmp_and_ssh_levels_of_a_dark_port_do_not_flap_the_optic_alert() -> None:
    """Issue 10: a dark port read -40 dBm over SNMP every 10 s and -13.6 dBm over SSH every
    60 s; fed as they come, the optic alert flapped. With SNMP over SSH it just fires."""
    clock = Clock()
    engine = Engine(load_rules(), clock)
    prec = OpticPrecedence(recent_s=25.0)
    changes = []
    for step in range(1, 61):  # 10 minutes, one batch per 10 s poll cycle
        clock.now += 10.0
        readings: list[Any] = [snmp(-40.0)]
        if step % 6 == 0:
            readings.append(ssh(-13.6))  # the SSH collection of the same port
        admitted = prec.admit(7, readings, clock.now)
        changes += [t.change for t in engine.evaluate(
            optic_observations(7, admitted, clock.now, LABELS, LINKS))]
    assert changes == ["pending", "firing"]
    assert engine.alerts[f"optic_rx_low|optic:7:{PORT}"].state == "firing"

"""Pure tests of the simulator model: counters, faults, reachability, plan and fault parsing."""

from __future__ import annotations

import copy
import random
from typing import Any

import pytest

from provnet.simulator import mib
from provnet.simulator.control import apply_command
from provnet.simulator.example import C1, C2, C3, C4, CORE, POP_A, POP_B, example_plan
from provnet.simulator.faults import Fault, parse_fault
from provnet.simulator.model import Network
from provnet.simulator.plan import PlanError, plan_from_dict
from provnet.simulator.traffic import Channel, RateProfile, traffic_profile

WALL = 1_760_000_000.0
ALL = {CORE, POP_A, POP_B, C1, C2, C3, C4}


def hc_in(ifindex: int) -> mib.Oid:
    return (*mib.IFX_ENTRY, mib.IFX_HC_IN_OCTETS, ifindex)


def col(column: int, ifindex: int) -> mib.Oid:
    return (*mib.IF_ENTRY, column, ifindex)


def net(**extra: Any) -> Network:
    return Network(plan_from_dict(example_plan(**extra)), 0.0, WALL)


def val(n: Network, dev: int, oid: mib.Oid, t: float) -> Any:
    value = n.value_at(dev, oid, t)
    assert value is not None, oid
    return value[1]


# -- counters ---------------------------------------------------------------------------

@pytest.mark.parametrize(("dev", "ifindex", "mean_bps"), [
    (C1, 1, 8e6), (C3, 2, 8e6), (C1, 10, 5e5), (POP_A, 1, 2e8), (CORE, 2, 4e7)])
def test_counter_grows_at_configured_rate(dev: int, ifindex: int, mean_bps: float) -> None:
    n = net()
    for start in (0.0, 3600.0, 7 * 3600.0):   # model time never goes back: read in order
        first = val(n, dev, hc_in(ifindex), start)
        delta = val(n, dev, hc_in(ifindex), start + 60) - first
        assert delta * 8 / 60 == pytest.approx(mean_bps, rel=0.25)


@pytest.mark.parametrize("script", [
    [("link_down", 3), ("link_up", 3)],
    [("device_down", POP_A), ("device_up", POP_A)],
    [("rate", 1e9), ("rate", 1e3), ("rate", 5e8)],
    [("admin", False), ("rate", 1e7), ("admin", True)],
])
def test_counters_monotonic_across_changes(script: list[tuple[str, Any]]) -> None:
    n = net()
    rng = random.Random(7)
    t, last = 0.0, 0
    steps = iter(script)
    for _ in range(200):
        t += rng.choice([0.0, 1e-6, 0.01, 0.5, 3.0, 60.0])
        if rng.random() < 0.1:
            step = next(steps, None)
            if step is not None:
                kind, arg = step
                if kind == "link_down":
                    n.link_down(arg, t)
                elif kind == "link_up":
                    n.link_up(arg, t)
                elif kind == "device_down":
                    n.device_down(arg, t)
                elif kind == "device_up":
                    n.device_up(arg, t)
                elif kind == "rate":
                    n.set_rates(C1, 1, arg, arg, t)
                else:
                    n.set_admin_status(C1, 1, arg, t)
        now = val(n, C1, hc_in(1), t)
        assert now >= last
        last = now


@pytest.mark.parametrize(("action", "frozen"), [
    (lambda n, t: n.link_down(3, t), [(C1, 1), (POP_A, 2)]),
    (lambda n, t: n.device_down(C1, t), [(POP_A, 2)]),
    (lambda n, t: n.set_admin_status(POP_A, 2, False, t), [(C1, 1), (POP_A, 2)]),
    (lambda n, t: n.apply(Fault("C1", "link-down"), t), [(C1, 1), (POP_A, 2)]),
])
def test_counters_frozen_while_down(action: Any, frozen: list[tuple[int, int]]) -> None:
    n = net()
    action(n, 10.0)
    before = {(dev, ifindex): val(n, dev, hc_in(ifindex), 11.0) for dev, ifindex in frozen}
    lan = val(n, C1, hc_in(10), 11.0)
    for dev, ifindex in frozen:
        assert val(n, dev, col(mib.IF_OPER_STATUS, ifindex), 500.0) == mib.DOWN
        assert val(n, dev, hc_in(ifindex), 500.0) == before[(dev, ifindex)]
        assert val(n, dev, col(mib.IF_IN_OCTETS, ifindex), 500.0) == before[(dev, ifindex)] % 2**32
    # the LAN port of the commune keeps counting while its device is up
    if n.devices[C1].up:
        assert val(n, C1, hc_in(10), 500.0) > lan


def test_counting_resumes_after_repair_and_last_change_moves() -> None:
    n = net()
    n.link_down(3, 10.0)
    frozen = val(n, C1, hc_in(1), 20.0)
    change_down = val(n, C1, col(mib.IF_LAST_CHANGE, 1), 20.0)
    n.link_up(3, 30.0)
    assert val(n, C1, col(mib.IF_OPER_STATUS, 1), 31.0) == mib.UP
    assert val(n, C1, hc_in(1), 40.0) > frozen
    assert val(n, C1, col(mib.IF_LAST_CHANGE, 1), 40.0) - change_down == pytest.approx(2000, abs=2)


@pytest.mark.parametrize("how", ["reboot", "power-cycle", "site-fault"])
def test_reboot_resets_uptime_and_counters(how: str) -> None:
    n = net()
    assert val(n, C2, mib.SYS_UPTIME, 100.0) > 3 * 86400 * 100
    assert val(n, C2, hc_in(1), 100.0) > 10**9
    n.set_admin_status(C2, 10, False, 100.0)
    if how == "reboot":
        n.reboot(C2, 100.0)
    elif how == "power-cycle":
        n.device_down(C2, 90.0)
        n.device_up(C2, 100.0)
    else:
        n.apply(Fault("C2", "reboot"), 100.0)
    assert val(n, C2, hc_in(1), 100.0) == 0
    assert val(n, C2, mib.SYS_UPTIME, 105.0) == 500
    assert 0 < val(n, C2, hc_in(1), 110.0) < 8e6 / 8 * 10 * 1.3
    assert val(n, C2, col(mib.IF_ADMIN_STATUS, 10), 105.0) == mib.UP  # startup config
    assert val(n, C2, col(mib.IF_LAST_CHANGE, 1), 105.0) == 0


def test_error_counters_small_and_counter32_wraps() -> None:
    n = net()
    for dev in n.devices.values():
        for f in dev.ifaces.values():
            for column in (mib.IF_IN_ERRORS, mib.IF_OUT_ERRORS, mib.IF_IN_DISCARDS):
                a = val(n, dev.id, col(column, f.ifindex), 0.0)
                b = val(n, dev.id, col(column, f.ifindex), 100.0)
                assert 0 <= b - a <= 100 * 0.1 + 1
            hc = val(n, dev.id, hc_in(f.ifindex), 50.0)
            assert val(n, dev.id, col(mib.IF_IN_OCTETS, f.ifindex), 50.0) == hc % 2**32


@pytest.mark.parametrize(("mean", "ceiling"), [(10.0, 100.0), (90.0, 100.0), (99.9, 100.0),
                                               (250.0, 100.0), (0.0, 100.0)])
def test_rate_never_exceeds_speed(mean: float, ceiling: float) -> None:
    prof = traffic_profile(mean, ceiling, random.Random(1), day_s=86400.0, wall_at_zero=WALL,
                           daily=0.15, noise=0.08)
    assert prof.peak <= ceiling + 1e-9
    assert all(0.0 <= prof.rate(u) <= ceiling + 1e-9 for u in range(0, 86400, 97))
    assert prof.mean == pytest.approx(min(mean, ceiling))


def test_channel_keeps_fraction_and_never_goes_back() -> None:
    ch = Channel(RateProfile(0.3))
    ch.start(0.0)
    reads = []
    for k in range(1, 40):
        if k % 3 == 0:
            ch.stop(float(k))
            ch.start(float(k) + 0.5)
        reads.append(ch.value(float(k) + 0.7))
    assert reads == sorted(reads)
    assert reads[-1] >= 8


# -- reachability -----------------------------------------------------------------------

@pytest.mark.parametrize(("actions", "unreachable"), [
    ([], set()),
    ([("site", "C1", "link-down")], {C1}),
    ([("link", 5)], set()),                                  # C3 dual-homed: one uplink left
    ([("link", 5), ("link", 7)], {C3}),
    ([("site", "C3", "link-down")], {C3}),
    ([("site", "C3", "link-down"), ("site", "C3", "link-up")], set()),
    ([("site", "POP-A", "device-down")], {POP_A, C1, C2}),  # C3 survives via POP-B
    # POP-A's uplink cut: no transit through the dual-homed C3, which stays up via POP-B
    ([("site", "POP-A", "link-down")], {POP_A, C1, C2}),
    ([("site", "POP-A", "link-down"), ("link", 7)], {POP_A, C1, C2, C3}),
    ([("site", "POP-A", "link-down"), ("site", "POP-B", "link-down")], ALL - {CORE}),
    ([("site", "CORE", "device-down")], ALL),
    ([("admin", POP_A, 2)], {C1}),
    ([("admin", C1, 10)], set()),                            # LAN port: no effect on reach
    ([("site", "C4", "device-down")], {C4}),
    ([("site", "C4", "device-down"), ("site", "C4", "device-up")], set()),
])
def test_reachability(actions: list[tuple[Any, ...]], unreachable: set[int]) -> None:
    n = net()
    for t, act in enumerate(actions, start=1):
        if act[0] == "site":
            n.apply(Fault(act[1], act[2]), float(t))
        elif act[0] == "link":
            n.link_down(act[1], float(t))
        else:
            n.set_admin_status(act[1], act[2], False, float(t))
    assert set(n.devices) - n.reachable == unreachable
    assert all(n.answers(d) == (d not in unreachable) for d in n.devices)


def test_admin_down_takes_far_end_down_and_change_reports_it() -> None:
    n = net()
    change = n.set_admin_status(POP_A, 4, False, 5.0)   # towards C3 (dual-homed)
    assert change.unreachable == ()
    assert val(n, POP_A, col(mib.IF_ADMIN_STATUS, 4), 6.0) == mib.DOWN
    assert val(n, POP_A, col(mib.IF_OPER_STATUS, 4), 6.0) == mib.DOWN
    assert val(n, C3, col(mib.IF_ADMIN_STATUS, 1), 6.0) == mib.UP
    assert val(n, C3, col(mib.IF_OPER_STATUS, 1), 6.0) == mib.DOWN
    assert val(n, C3, col(mib.IF_OPER_STATUS, 2), 6.0) == mib.UP
    change = n.set_admin_status(POP_A, 2, False, 7.0)
    assert change.unreachable == (C1,)
    assert n.set_admin_status(POP_A, 2, True, 8.0).reachable_again == (C1,)


# -- OID index --------------------------------------------------------------------------

def test_oid_index_sorted_and_values() -> None:
    n = net()
    dev = n.devices[C3]
    assert dev.oids == sorted(dev.oids) and len(set(dev.oids)) == len(dev.oids)
    assert n.value_at(C3, mib.SYS_NAME, 0.0) == (mib.Kind.OCTETS, b"ag-c3")
    assert n.value_at(C3, mib.SYS_OBJECT_ID, 0.0) == (mib.Kind.OID, (1, 3, 6, 1, 4, 1, 3902, 3))
    assert n.value_at(C3, (*mib.IFX_ENTRY, mib.IFX_NAME, 10), 0.0) == (mib.Kind.OCTETS,
                                                                        b"Vlanif10")
    assert n.value_at(C3, (*mib.IFX_ENTRY, mib.IFX_ALIAS, 2), 0.0) == (
        mib.Kind.OCTETS, b"link 7 to ag-pop-b")
    assert n.value_at(C3, (*mib.IFX_ENTRY, mib.IFX_HIGH_SPEED, 1), 0.0) == (mib.Kind.GAUGE32,
                                                                             1000)
    assert n.value_at(CORE, col(mib.IF_SPEED, 1), 0.0) == (mib.Kind.GAUGE32, 2**32 - 1)
    assert n.value_at(C3, col(mib.IF_TYPE, 1), 0.0) == (mib.Kind.INTEGER, 6)
    assert n.value_at(C3, col(mib.IF_TYPE, 3), 0.0) is None
    nxt = n.next_after(C3, (*mib.IF_ENTRY, mib.IF_DESCR), 0.0)
    assert nxt == (col(mib.IF_DESCR, 1), (mib.Kind.OCTETS, b"GigabitEthernet0/0/1"))
    assert n.next_after(C3, (1, 3, 6, 1, 2, 1, 31, 2), 0.0) is None
    assert n.next_after(C3, (1, 3), 0.0) is not None


# -- fault specs ------------------------------------------------------------------------

@pytest.mark.parametrize(("spec", "expected"), [
    ("CORE-AG:link-down@30", Fault("CORE-AG", "link-down", 30.0)),
    ("AG-TT-01:reboot@1.5", Fault("AG-TT-01", "reboot", 1.5)),
    ("X:device-down@2m", Fault("X", "device-down", 120.0)),
    ("X:device-up@10s", Fault("X", "device-up", 10.0)),
    ("X:LINK-UP@0", Fault("X", "link-up", 0.0)),
    ("A:B:link-down@5", Fault("A:B", "link-down", 5.0)),
])
def test_parse_fault_valid(spec: str, expected: Fault) -> None:
    assert parse_fault(spec) == expected


@pytest.mark.parametrize(("spec", "message"), [
    ("CORE:link-down", "missing '@SECONDS'"),
    ("CORE@30", "missing ':ACTION'"),
    (":link-down@30", "empty site"),
    ("CORE:explode@30", "unknown action 'explode'"),
    ("CORE:link-down@soon", "bad time 'soon'"),
    ("CORE:link-down@-3", "bad time '-3'"),
    ("CORE:link-down@inf", "bad time 'inf'"),
])
def test_parse_fault_errors(spec: str, message: str) -> None:
    with pytest.raises(ValueError, match=message) as err:
        parse_fault(spec)
    assert spec in str(err.value)


def test_site_lookup_errors() -> None:
    n = net()
    with pytest.raises(ValueError, match="unknown site 'NOPE'"):
        n.apply(Fault("NOPE", "link-down"), 1.0)
    with pytest.raises(ValueError, match="no uplinks"):
        n.apply(Fault("CORE", "link-down"), 1.0)
    assert n.apply(Fault("ag-c1", "link-down"), 1.0).unreachable == (C1,)


# -- plan parsing -----------------------------------------------------------------------

def _broken(mutate: Any) -> dict[str, Any]:
    data = copy.deepcopy(example_plan())
    mutate(data)
    return data


@pytest.mark.parametrize(("mutate", "message"), [
    (lambda d: d.pop("devices"), r"plan\.devices: missing"),
    (lambda d: d.update(core_device=99), "core_device: no device with id 99"),
    (lambda d: d["devices"][1].update(address="10.0.0.1"), r"devices\[1\]\.address: .*loopback"),
    (lambda d: d["devices"][2].update(address="127.77.1.1"), "duplicate address"),
    (lambda d: d["devices"][2].update(id=1), "duplicate device id 1"),
    (lambda d: d["devices"][0]["interfaces"][0].update(speed_mbps=0),
     r"devices\[0\]\.interfaces\[0\]\.speed_mbps"),
    (lambda d: d["devices"][0]["interfaces"][0].update(in_bps="fast"), "in_bps: expected"),
    (lambda d: d["links"][0].update(a_ifindex=42), r"links\[0\]\.a_ifindex: .*no ifindex 42"),
    (lambda d: d["links"][1].update(z_ifindex=1), "already used by link 1"),
    (lambda d: d["devices"][0]["interfaces"][0].update(link=2), "link 2 does not end"),
    (lambda d: d.update(port=70000), "plan.port"),
    (lambda d: d.update(daily_amplitude=0.95), "must be < 1"),
])
def test_plan_errors(mutate: Any, message: str) -> None:
    with pytest.raises(PlanError, match=message):
        plan_from_dict(_broken(mutate))


def test_plan_defaults_and_extras() -> None:
    plan = plan_from_dict(example_plan(port=1234, max_message_bytes=1400, seeder_note="x"))
    assert plan.port == 1234 and plan.community == "public" and plan.set_community == "public"
    assert plan.max_message_bytes == 1400 and plan.max_bulk_varbinds == 1000
    assert [d.id for d in plan.devices] == [CORE, POP_A, POP_B, C1, C2, C3, C4]


# -- control commands -------------------------------------------------------------------

@pytest.mark.parametrize(("cmd", "error"), [
    ("status", "expected a JSON object"),
    ({}, "missing 'action'"),
    ({"action": "link-down"}, "need one of 'site', 'link' or 'device'"),
    ({"action": "explode", "site": "C1"}, "unknown action 'explode'"),
    ({"action": "reboot", "link": 3}, "does not apply to a link"),
    ({"action": "link-down", "device": 11}, "does not apply to a device"),
    ({"action": "link-down", "link": 99}, "unknown link 99"),
    ({"action": "reboot", "device": "nobody"}, "unknown device 'nobody'"),
    ({"action": "set-rate", "device": 11, "ifindex": 1, "in_bps": -5}, "in_bps"),
    ({"action": "set-rate", "device": 11, "ifindex": 7, "in_bps": 5}, "no interface 11/7"),
])
def test_control_command_errors(cmd: Any, error: str) -> None:
    with pytest.raises((ValueError, KeyError), match=error):
        apply_command(net(), cmd, 1.0)


def test_control_commands_change_the_model() -> None:
    n = net()
    reply, change = apply_command(n, {"action": "link-down", "site": "C1"}, 1.0)
    assert reply["ok"] and reply["unreachable"] == [C1] and change is not None
    reply, _ = apply_command(n, {"action": "device-down", "device": "ag-pop-b"}, 2.0)
    assert reply["unreachable"] == [POP_B, C4]
    reply, change = apply_command(n, {"action": "status"}, 3.0)
    assert change is None and reply["powered_off"] == [POP_B] and reply["links_faulted"] == [3]
    first = val(n, C2, hc_in(1), 4.0)
    apply_command(n, {"action": "set-rate", "device": C2, "ifindex": 1, "in_bps": 8e8}, 4.0)
    assert (val(n, C2, hc_in(1), 14.0) - first) * 8 / 10 == pytest.approx(8e8, rel=0.25)


def test_on_event_hook_reports_link_changes_and_boots() -> None:
    n = net()
    events: list[tuple[str, int, int | None]] = []
    n.on_event = lambda kind, dev, ifindex: events.append((kind, dev.id, ifindex))
    n.link_down(3, 10.0)
    assert sorted(events) == sorted([("link-down", C1, 1), ("link-down", POP_A, 2)])
    events.clear()
    n.link_up(3, 20.0)
    assert sorted(events) == sorted([("link-up", C1, 1), ("link-up", POP_A, 2)])
    events.clear()
    n.reboot(C2, 30.0)
    assert events == [("cold-start", C2, None)]


def test_reset_counters_moves_discontinuity_time_without_reboot() -> None:
    n = net()
    disc = (*mib.IFX_ENTRY, mib.IFX_DISCONTINUITY, 1)
    assert val(n, C1, disc, 10.0) == 0
    up_before = val(n, C1, mib.SYS_UPTIME, 10.0)
    n.reset_counters(C1, 1, 20.0)
    assert val(n, C1, hc_in(1), 20.0) == 0
    assert val(n, C1, disc, 25.0) == up_before + 1000
    assert val(n, C1, mib.SYS_UPTIME, 25.0) > up_before  # no reboot
    assert val(n, C1, mib.IF_TABLE_LAST_CHANGE, 25.0) == 0

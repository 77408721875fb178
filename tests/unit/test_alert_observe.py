"""PollResult + IfRates -> observations, table-driven."""

from __future__ import annotations

from dataclasses import replace

import pytest

from provnet.alerts.observe import CycleCollector, LinkEnd, device_observations
from provnet.pollers.types import ERROR_KINDS, IfRates, IfSample, PollResult, SnmpTarget

# what ProfilePoller reports for a failed poll: (error text, error_kind)
KINDS = {"deadline exceeded": "timeout", "timeout": "timeout", "bad response: X": "protocol"}


def result(dev: int, error: str | None = None, kind: str | None = None,
           **ifs: tuple[int, int]) -> PollResult:
    samples = {int(k[2:]): IfSample(int(k[2:]), f"ge{k}", oper_status=o, admin_status=a)
               for k, (o, a) in ifs.items()}
    if error is not None and kind is None:
        kind = KINDS[error]
    return PollResult(SnmpTarget(dev, f"r{dev}", "127.0.0.1"), 100.0 + dev, 0.1,
                      interfaces={} if error else samples, error=error, error_kind=kind)


DEAD = {"device.reachable": 0.0}
ANSWERS_BADLY = {"device.reachable": 1.0, "poll.ok": 0.0}
# (error text, error_kind, observations): the kind decides, whatever the text says
DEVICE_CASES = [
    ("timeout", "timeout", DEAD),
    ("deadline exceeded", "timeout", DEAD),
    ("OSError", "unreachable", DEAD),  # no route: ProfilePoller's text is the class name
    ("ConnectionRefusedError", "unreachable", DEAD),
    ("auth: Wrong SNMP PDU digest", "auth", ANSWERS_BADLY),
    ("cannot resolve 'gw-unreachable.example': [Errno -2] Name or service not known",
     "protocol", ANSWERS_BADLY),
    ("bad response: walk made no progress", "protocol", ANSWERS_BADLY),
    ("RuntimeError: request timeout in parser", "internal", ANSWERS_BADLY),
    ("timeout", None, ANSWERS_BADLY),  # unclassified: never taken as a dead device
]


@pytest.mark.parametrize(("error", "kind", "expected"), DEVICE_CASES,
                         ids=[f"{k}:{e[:20]}" for e, k, _ in DEVICE_CASES])
def test_device_observations_follow_error_kind(error: str, kind: str | None,
                                               expected: dict[str, float]) -> None:
    failed = replace(result(1), error=error, error_kind=kind)
    obs = device_observations(failed, {"device": "r1"})
    assert {o.metric: o.value for o in obs} == expected
    assert {o.entity for o in obs} == {"device:1"}


def test_every_error_kind_has_a_case() -> None:
    assert {k for _, k, _ in DEVICE_CASES} == {*ERROR_KINDS, None}


def test_ok_poll_is_reachable_and_ok() -> None:
    obs = device_observations(result(1), {})
    assert {o.metric: o.value for o in obs} == {"device.reachable": 1.0, "poll.ok": 1.0}


@pytest.mark.parametrize(("results", "expected"), [
    pytest.param([result(1)], {("device:1", "device.reachable"): 1.0,
                               ("device:1", "poll.ok"): 1.0}, id="ok"),
    pytest.param([result(1, "deadline exceeded")], {("device:1", "device.reachable"): 0.0},
                 id="unreachable"),
    pytest.param([result(1, "bad response: X")], {("device:1", "device.reachable"): 1.0,
                                                  ("device:1", "poll.ok"): 0.0}, id="poll-fails"),
    # link 7 = device 1 ifindex 1 (A) + device 2 ifindex 3 (Z)
    pytest.param([result(1, if1=(1, 1)), result(2, if3=(1, 1))], {("link:7", "link.up"): 1.0},
                 id="link-up-both-ends"),
    pytest.param([result(1, "timeout"), result(2, if3=(2, 1))], {("link:7", "link.up"): 0.0},
                 id="link-down-seen-from-z"),
    pytest.param([result(1, if1=(2, 1)), result(2, if3=(1, 1))], {("link:7", "link.up"): 0.0},
                 id="one-end-down-is-down"),
    pytest.param([result(1, if1=(2, 2)), result(2, "timeout")], {}, id="admin-down-ignored"),
    pytest.param([result(1, "timeout"), result(2, "timeout")], {}, id="no-end-no-link-obs"),
])
def test_collector(results: list[PollResult], expected: dict[tuple[str, str], float]) -> None:
    ends = {1: {1: LinkEnd(7, "a")}, 2: {3: LinkEnd(7, "z")}}
    col = CycleCollector({1: {"device": "r1", "site": "UB-1"}}, ends, {7: {"link": "7"}})
    for r in results:
        col.on_result(r, {})
    got = {(o.entity, o.metric): o.value for o in col.flush()}
    for key, value in expected.items():
        assert got[key] == value
    assert {k for k in got if k[1] == "link.up"} == {k for k in expected if k[1] == "link.up"}
    assert col.flush() == []


def test_interface_rates() -> None:
    col = CycleCollector({}, {1: {1: LinkEnd(7, "a")}}, {})
    col.on_result(result(1, if1=(1, 1)), {1: IfRates(in_util_pct=40.0, out_util_pct=95.0,
                                                    in_errors_ps=1.0, out_errors_ps=2.0)})
    obs = {o.metric: o for o in col.flush() if o.entity == "if:1:1"}
    assert obs["if.util_pct"].value == 95.0
    assert obs["if.errors_ps"].value == 3.0
    assert "if.discards_ps" not in obs
    assert obs["if.util_pct"].labels["link"] == "7"

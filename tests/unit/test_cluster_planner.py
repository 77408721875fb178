"""The planner: failover only after the delay and only to a fresh node of the group; a silent
PoP is never re-planned; plan versions grow only on change (pure)."""

from __future__ import annotations

import pytest

from provnet.config.cluster import NodeGroup
from provnet.pollers.cluster.planner import DeviceSpec, assign, group_of, node_plans

GROUPS = [NodeGroup(name="pop1", nodes=["a", "b"], districts=["D1"]),
          NodeGroup(name="pop2", nodes=["c"], sites=["S9"], devices=[99])]
DEVICES = [DeviceSpec(i, f"dev{i}", f"10.0.0.{i}", district="D1") for i in range(1, 21)]
T0 = 1000.0


def _home() -> dict[int, str]:
    return assign(DEVICES, GROUPS, {"a": T0, "b": T0}, T0, 60.0, {}, T0)


def test_spread_over_the_group() -> None:
    home = _home()
    assert set(home.values()) == {"a", "b"}


@pytest.mark.parametrize(("seen", "now", "moved"), [
    ({"a": T0, "b": T0 + 59}, T0 + 59, False),      # a silent 59 s < 60 s: stays
    ({"a": T0, "b": T0 + 61}, T0 + 61, True),       # a silent 61 s, b fresh: a's devices move
    ({"a": T0, "b": T0}, T0 + 600, False),          # whole PoP silent: never moved
    ({"b": T0 + 61}, T0 + 61, True),                # a never heard of since the start
    ({"b": T0 + 30}, T0 + 30, False),               # ... but only after the delay
])
def test_failover(seen: dict[str, float], now: float, moved: bool) -> None:
    home = _home()
    got = assign(DEVICES, GROUPS, seen, now, 60.0, home, T0)
    on_a = [d for d, n in home.items() if n == "a"]
    assert on_a
    assert all(got[d] == ("b" if moved else "a") for d in on_a)
    assert all(got[d] == "b" for d, n in home.items() if n == "b")


def test_back_home_when_fresh_again() -> None:
    home = _home()
    moved = assign(DEVICES, GROUPS, {"a": T0, "b": T0 + 100}, T0 + 100, 60.0, home, T0)
    back = assign(DEVICES, GROUPS, {"a": T0 + 110, "b": T0 + 110}, T0 + 110, 60.0, moved, T0)
    assert back == home


def test_group_of() -> None:
    assert group_of(GROUPS, DeviceSpec(99, "x", "1")) is GROUPS[1]
    assert group_of(GROUPS, DeviceSpec(5, "x", "1", site="S9")) is GROUPS[1]
    assert group_of(GROUPS, DeviceSpec(5, "x", "1", district="D7")) is None
    assert 5 not in assign([DeviceSpec(5, "x", "1")], GROUPS, {}, T0, 60.0, {}, T0)


def test_plan_versions() -> None:
    home = _home()
    plans = node_plans(DEVICES, home, GROUPS, 60.0, 2, {})
    assert {n: p.version for n, p in plans.items()} == {"a": 1, "b": 1, "c": 1}
    assert plans["c"].devices == ()
    assert sum(len(p.devices) for p in plans.values()) == 20
    assert all(d.shard in (0, 1) for p in plans.values() for d in p.devices)
    same = node_plans(DEVICES, home, GROUPS, 60.0, 2, plans)
    assert same == plans
    moved = dict(home)
    dev = next(d for d, n in home.items() if n == "a")
    moved[dev] = "b"
    after = node_plans(DEVICES, moved, GROUPS, 60.0, 2, plans)
    assert (after["a"].version, after["b"].version, after["c"].version) == (2, 2, 1)


def test_group_lookup_answers_like_group_of() -> None:
    """The dictionary lookup the planner uses gives ``group_of``'s answer (first group naming
    the device, its site or its district), over every combination."""
    import itertools

    from provnet.config.cluster import NodeGroup
    from provnet.pollers.cluster.planner import DeviceSpec, GroupLookup, group_of

    groups = [NodeGroup(name="a", nodes=["n1"], devices=[1, 2], sites=["S1"]),
              NodeGroup(name="b", nodes=["n2"], districts=["D1"], devices=[3]),
              NodeGroup(name="c", nodes=["n3"], sites=["S1", "S2"], districts=["D1", "D2"],
                        devices=[2, 4])]
    lookup = GroupLookup(groups)
    answers = set()
    for dev, site, district in itertools.product([1, 2, 3, 4, 5], [None, "S1", "S2", "S3"],
                                                 [None, "D1", "D2", "D3"]):
        d = DeviceSpec(dev, f"d{dev}", "10.0.0.1", site=site, district=district)
        want = group_of(groups, d)
        assert lookup(d) is want, (dev, site, district)
        answers.add(None if want is None else want.name)
    assert answers == {None, "a", "b", "c"}

"""The planner: failover only after the delay and only to a fresh node of the group; a silent
PoP is never re-planned; plan versions grow only on change (pure)."""

from __future__ import annotations

import pytest

from provnet.config.cluster import NodeGroup
from provnet.pollers.cluster.planner import (
    DeviceSpec,
    assign,
    group_of,
    node_plans,
    unknown_groups,
)

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


# --- which group: the inventory (poller_group of the device, of its site), then settings ----
SETTINGS = [NodeGroup(name="g-dist", nodes=["n1"], districts=["D1"]),
            NodeGroup(name="g-site", nodes=["n2"], sites=["S1"]),
            NodeGroup(name="g-dev", nodes=["n3"], devices=[7]),
            NodeGroup(name="g-inv", nodes=["n4"])]


@pytest.mark.parametrize(("spec", "group"), [
    (DeviceSpec(1, "x", "1"), None),                                        # nothing: centre
    (DeviceSpec(1, "x", "1", district="D1"), "g-dist"),                     # settings district
    (DeviceSpec(1, "x", "1", district="D1", site="S1"), "g-site"),          # site > district
    (DeviceSpec(7, "x", "1", district="D1", site="S1"), "g-dev"),           # device > site
    (DeviceSpec(1, "x", "1", site="S9", site_group="g-inv"), "g-inv"),      # inventory site
    (DeviceSpec(1, "x", "1", district="D1", site="S1", site_group="g-inv"), "g-inv"),
    (DeviceSpec(7, "x", "1", site_group="g-inv"), "g-inv"),                 # inventory wins
    (DeviceSpec(1, "x", "1", site_group="g-inv", device_group="g-dist"), "g-dist"),  # dev>site
    (DeviceSpec(7, "x", "1", device_group="g-site"), "g-site"),             # over settings id
    (DeviceSpec(1, "x", "1", district="D1", site_group="nope"), "g-dist"),  # unknown: passed
    (DeviceSpec(1, "x", "1", site_group="nope", device_group="nope2"), None),
    (DeviceSpec(1, "x", "1", site_group="g-site", device_group="nope"), "g-site"),
])
def test_group_precedence(spec: DeviceSpec, group: str | None) -> None:
    got = group_of(SETTINGS, spec)
    assert (got.name if got else None) == group


def test_unknown_groups_counted() -> None:
    specs = [DeviceSpec(1, "x", "1", site_group="nope"),
             DeviceSpec(2, "x", "1", site_group="nope", device_group="g-inv"),
             DeviceSpec(3, "x", "1", device_group="other"),
             DeviceSpec(4, "x", "1", site_group="g-dist")]
    assert unknown_groups(SETTINGS, specs) == {"nope": 2, "other": 1}
    assert unknown_groups(SETTINGS, specs[3:]) == {}


def test_inventory_group_moves_the_plan() -> None:
    """A site moved to another group in the inventory: its devices' plans follow (versions
    grow on both nodes), the other devices stay."""
    groups = [NodeGroup(name="east", nodes=["e1"]), NodeGroup(name="west", nodes=["w1"])]
    before = [DeviceSpec(i, f"d{i}", "1", site=f"S{i % 2}",
                         site_group="east" if i % 2 else "west") for i in range(1, 9)]
    seen = {"e1": T0, "w1": T0}
    home = assign(before, groups, seen, T0, 60.0, {}, T0)
    assert {d: n for d, n in home.items()} == {i: "e1" if i % 2 else "w1" for i in range(1, 9)}
    plans = node_plans(before, home, groups, 60.0, 1, {})
    after = [DeviceSpec(d.device_id, d.name, d.address, site=d.site,
                        site_group="west") for d in before]       # site S1 -> west
    moved = assign(after, groups, seen, T0 + 5, 60.0, home, T0)
    assert set(moved.values()) == {"w1"}
    again = node_plans(after, moved, groups, 60.0, 1, plans)
    assert (again["e1"].version, again["w1"].version) == (2, 2)
    assert again["e1"].devices == ()
    assert [d.device_id for d in again["w1"].devices] == list(range(1, 9))


def test_moved_to_a_silent_group() -> None:
    """The inventory moves a device to a group whose nodes are all silent: it goes to that
    group's first node (never stays on a node of its old group)."""
    groups = [NodeGroup(name="east", nodes=["e1"]), NodeGroup(name="west", nodes=["w1", "w2"])]
    d = DeviceSpec(3, "d3", "1", site_group="west")
    got = assign([d], groups, {"e1": T0 + 500}, T0 + 500, 60.0, {3: "e1"}, T0)
    assert got[3] in ("w1", "w2")
    assert assign([d], groups, {}, T0 + 500, 60.0, {3: "w2"}, T0) == {3: "w2"}
def test_group_lookup_answers_like_group_of() -> None:
    """The dictionary lookup the planner uses gives ``group_of``'s answer (the inventory's
    group, then the first settings group naming the device, its site or its district), over
    every combination."""
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
        for inv in (None, "b", "nope"):  # the inventory's group (on the device or its site)
            for d in (DeviceSpec(dev, f"d{dev}", "10.0.0.1", site=site, district=district,
                                 device_group=inv),
                      DeviceSpec(dev, f"d{dev}", "10.0.0.1", site=site, district=district,
                                 site_group=inv, device_group="c" if inv == "nope" else None)):
                want = group_of(groups, d)
                assert lookup(d) is want, d
                answers.add(None if want is None else want.name)
    assert answers == {None, "a", "b", "c"}

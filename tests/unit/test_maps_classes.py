"""maps.classes: one classification behind the province map's fills, legend and worst list."""

from __future__ import annotations

from typing import Any

import pytest

from provnet.maps.classes import (
    HIGHER_EDGES,
    LOWER_EDGES,
    NO_DATA_COLOUR,
    PALETTE,
    choropleth,
    classify,
    metric_names,
    metric_value,
    parse_metric,
    scale_for,
    shown,
)
from provnet.maps.geojson import CUT_OFF_COLOUR, STATUS_COLOURS


def stats(code: str, any_: float, one: float, none: float, viettel: float = 0.0,
          fibre: float = 50.0) -> dict[str, Any]:
    return {"code": code, "name": f"Xã {code}",
            "by_technology": {"5G": {"any_pct": any_, "one_pct": one, "none_pct": none}},
            "by_operator": {"Viettel": {"5G": viettel}}, "fibre_reach_pct": fibre}


@pytest.mark.parametrize(("metric", "kind", "tech", "op", "lower"), [
    ("4G:any", "any", "4G", None, False), ("5G:one", "one", "5G", None, True),
    ("5G:none", "none", "5G", None, True), ("Viettel:4G", "operator", "4G", "Viettel", False),
    ("fibre", "fibre", None, None, False)])
def test_parse_metric(metric: str, kind: str, tech: str | None, op: str | None,
                      lower: bool) -> None:
    m = parse_metric(metric)
    assert (m.kind, m.technology, m.operator, m.lower_is_better) == (kind, tech, op, lower)


@pytest.mark.parametrize("bad", ["", "4G", ":any", "4G:", "fibre:4G:x"])
def test_parse_metric_rejects(bad: str) -> None:
    if bad == "fibre:4G:x":  # "fibre" then an operator-looking name: an operator metric
        assert parse_metric(bad).kind == "operator"
        return
    with pytest.raises(ValueError, match="unknown metric"):
        parse_metric(bad)


@pytest.mark.parametrize(("value", "out"), [
    (None, None), (-0.0, 0.0), (-0.04, 0.0), (-3.0, 0.0), (19.96, 20.0), (100.4, 100.0),
    (16.849, 16.8)])
def test_shown_never_negative_zero(value: float | None, out: float | None) -> None:
    got = shown(value)
    assert got == out
    if got is not None:
        assert str(got) != "-0.0" and f"{got:.1f}" != "-0.0"


# (metric, value, class index): gaps and single-operator shares are "lower is better"
@pytest.mark.parametrize(("metric", "value", "index"), [
    ("5G:none", 0.0, 0), ("5G:none", 4.99, 1), ("5G:none", 5.0, 1), ("5G:none", 16.8, 2),
    ("5G:none", 17.0, 2), ("5G:none", 39.99, 4), ("5G:none", 100.0, 5),
    ("5G:one", 0.0, 0), ("5G:one", 61.4, 5),
    ("4G:any", 0.0, 0), ("4G:any", 19.96, 1), ("4G:any", 94.9, 4), ("4G:any", 95.0, 5),
    ("4G:any", 100.0, 5), ("Viettel:4G", 55.0, 2), ("fibre", 80.0, 4)])
def test_classify(metric: str, value: float, index: int) -> None:
    scale = scale_for(parse_metric(metric))
    c = classify(value, scale)
    assert c is not None and c.index == index
    assert c.lo <= (shown(value) or 0) <= c.hi


def test_a_5_to_17_percent_gap_is_in_the_class_the_legend_calls_it() -> None:
    """The defect: a 5-17 % gap painted the colour the legend called 20-40 %."""
    scale = scale_for(parse_metric("4G:none"))
    for v in (5.0, 8.2, 12.5, 16.9):
        c = classify(v, scale)
        assert c is not None and c.lo <= v < c.hi and c.hi <= 20.0


def test_scales_darkest_is_worst_and_never_a_link_colour() -> None:
    higher, lower = scale_for(parse_metric("4G:any")), scale_for(parse_metric("4G:none"))
    assert [c.lo for c in higher] + [higher[-1].hi] == list(HIGHER_EDGES)
    assert [c.lo for c in lower] + [lower[-1].hi] == list(LOWER_EDGES)
    assert higher[0].colour == lower[-1].colour == PALETTE[0]  # the worst class: darkest
    clash = set(STATUS_COLOURS.values()) | {CUT_OFF_COLOUR, NO_DATA_COLOUR}
    assert not clash & set(PALETTE)


def test_metric_value_and_names() -> None:
    s = stats("1", 70.0, 40.0, 30.0, viettel=55.5, fibre=-0.0)
    assert metric_value(s, parse_metric("5G:any")) == 70.0
    assert metric_value(s, parse_metric("5G:none")) == 30.0
    assert metric_value(s, parse_metric("Viettel:5G")) == 55.5
    assert metric_value(s, parse_metric("MobiFone:5G")) == 0.0
    assert metric_value(s, parse_metric("fibre")) == 0.0
    assert metric_value(s, parse_metric("4G:none")) == 100.0  # no 4G sector reaches it
    assert metric_value(None, parse_metric("4G:any")) is None
    assert metric_names([s]) == ["5G:any", "5G:one", "5G:none", "fibre", "Viettel:5G"]


def test_worst_of_single_operator_is_the_highest_share() -> None:
    """The defect: "10 worst" for "only one operator" listed communes at 0 %, the best."""
    rows = [stats("1", 100, 0.0, 0), stats("2", 100, 61.4, 0), stats("3", 100, 20.0, 0),
            stats("4", 100, 0.0, 0)]
    out = choropleth(rows, parse_metric("5G:one"), worst_n=2)
    assert [w["code"] for w in out["worst"]] == ["2", "3"]
    assert out["lower_is_better"] is True
    gaps = choropleth(rows, parse_metric("5G:any"), worst_n=4)
    assert [w["value"] for w in gaps["worst"]] == [100.0] * 4  # ties: by code
    assert [w["code"] for w in gaps["worst"]] == ["1", "2", "3", "4"]


def test_choropleth_rows_carry_the_legend_class() -> None:
    rows = [stats(str(i), 100 - v, 0, v) for i, v in enumerate((0, 3, 8.2, 17, 33, 55, 90))]
    out = choropleth(rows, parse_metric("5G:none"))
    legend = {c["index"]: c["colour"] for c in out["classes"]}
    for code, row in out["communes"].items():
        assert legend[row["class"]] == row["colour"]
        c = out["classes"][row["class"]]
        assert c["lo"] <= row["value"] < c["hi"] or row["value"] == c["hi"] == 100.0, code
    assert [r["class"] for r in out["communes"].values()] == [0, 0, 1, 2, 3, 4, 5]
    assert out["mean"] == shown((0 + 3 + 8.2 + 17 + 33 + 55 + 90) / 7)

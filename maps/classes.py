"""Coverage metrics, their value per commune and their colour classes: the ONE definition.

The province map's fill, its legend, its "10 worst" list, the report pack and the tests all
classify through :func:`classify` over the class table of :func:`scale_for`, so a legend can
never contradict a fill. Values are rounded to 0.1 % (what the pages show) before they are
classified, and clamped to 0..100, so "-0 %" cannot appear and 19.96 % shown as "20.0 %" is
in the 20-40 class.

A metric is ``<tech>:any`` (at least one operator), ``<tech>:one`` (exactly one operator),
``<tech>:none`` (no operator: the gap), ``<operator>:<tech>`` or ``fibre`` (within fibre
reach). ``one`` and ``none`` are "lower is better": their worst communes are those with the
highest share.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

#: Sequential palette (viridis-like, colour-blind safe): no red, orange or grey in it, so
#: link states (red = down, orange = busy) and "cut off" never look like a coverage class.
PALETTE = ("#440154", "#3b528b", "#21918c", "#5ec962", "#b5de2b", "#fde725")
HIGHER_EDGES = (0.0, 20.0, 40.0, 60.0, 80.0, 95.0, 100.0)  # coverage: more is better
LOWER_EDGES = (0.0, 5.0, 10.0, 20.0, 40.0, 60.0, 100.0)  # gap / single operator: less is better
NO_DATA_COLOUR = "#e8e4da"
TECH_KINDS = ("any", "one", "none")


@dataclass(frozen=True)
class ColourClass:
    """One legend row: ``lo <= value < hi`` (the last class includes ``hi``)."""

    index: int
    lo: float
    hi: float
    colour: str

    def as_json(self) -> dict[str, Any]:
        return {"index": self.index, "lo": self.lo, "hi": self.hi, "colour": self.colour}


@dataclass(frozen=True)
class Metric:
    """A parsed metric name."""

    name: str
    kind: str  # "any" | "one" | "none" | "operator" | "fibre"
    technology: str | None = None
    operator: str | None = None

    @property
    def lower_is_better(self) -> bool:
        return self.kind in ("one", "none")


def parse_metric(name: str) -> Metric:
    """``4G:any`` / ``5G:none`` / ``Viettel:4G`` / ``fibre`` -> :class:`Metric` (ValueError
    for anything else)."""
    if name == "fibre":
        return Metric(name, "fibre")
    left, sep, right = name.partition(":")
    if not sep or not left or not right:
        raise ValueError(f"unknown metric {name!r} (e.g. 4G:any, 5G:none, Viettel:4G, fibre)")
    if right in TECH_KINDS:
        return Metric(name, right, technology=left)
    return Metric(name, "operator", technology=right, operator=left)


def scale_for(metric: Metric) -> tuple[ColourClass, ...]:
    """The class table of a metric, best class last for "higher" metrics and first for
    "lower" ones: the darkest colour is always the worst."""
    edges = LOWER_EDGES if metric.lower_is_better else HIGHER_EDGES
    colours = tuple(reversed(PALETTE)) if metric.lower_is_better else PALETTE
    return tuple(ColourClass(i, edges[i], edges[i + 1], colours[i])
                 for i in range(len(edges) - 1))


def shown(value: float | None) -> float | None:
    """The value as the pages show it: clamped to 0..100, rounded to 0.1, never -0.0."""
    if value is None:
        return None
    return round(min(100.0, max(0.0, float(value))), 1) + 0.0


def classify(value: float | None, scale: tuple[ColourClass, ...]) -> ColourClass | None:
    """The class of a value (None: no data). The one function behind fills and legends."""
    v = shown(value)
    if v is None:
        return None
    for c in scale:
        if c.lo <= v < c.hi:
            return c
    return scale[-1]


def metric_value(stats: Mapping[str, Any] | None, metric: Metric) -> float | None:
    """A commune's value of ``metric`` from its coverage statistics (None: no statistics)."""
    if not stats:
        return None
    if metric.kind == "fibre":
        return shown(stats.get("fibre_reach_pct"))
    if metric.kind in TECH_KINDS:
        tech = (stats.get("by_technology") or {}).get(metric.technology)
        if tech is None:  # no sector of that technology reaches it: all gap, nothing covered
            return 100.0 if metric.kind == "none" else 0.0
        return shown(tech.get(f"{metric.kind}_pct"))
    op = (stats.get("by_operator") or {}).get(metric.operator) or {}
    return shown(op.get(metric.technology, 0.0))


def metric_names(stats: Iterable[Mapping[str, Any]]) -> list[str]:
    """Every metric the statistics allow, in menu order."""
    techs: set[str] = set()
    ops: set[str] = set()
    for s in stats:
        techs.update((s.get("by_technology") or {}).keys())
        ops.update((s.get("by_operator") or {}).keys())
    out = [f"{t}:{k}" for t in sorted(techs) for k in TECH_KINDS] + ["fibre"]
    return out + [f"{o}:{t}" for o in sorted(ops) for t in sorted(techs)]


def choropleth(stats: Iterable[Mapping[str, Any]], metric: Metric,
               worst_n: int = 10) -> dict[str, Any]:
    """What the province map draws for one metric: the class table, every commune's value
    and class, the mean and the ``worst_n`` worst communes (ties by code)."""
    scale = scale_for(metric)
    rows: dict[str, dict[str, Any]] = {}
    for s in stats:
        v = metric_value(s, metric)
        c = classify(v, scale)
        rows[str(s["code"])] = {"value": v, "class": c.index if c else None,
                                "colour": c.colour if c else NO_DATA_COLOUR,
                                "name": s.get("name")}
    valued = [(code, r["value"]) for code, r in rows.items() if r["value"] is not None]
    sign = -1.0 if metric.lower_is_better else 1.0
    worst = sorted(valued, key=lambda cv: (sign * cv[1], cv[0]))[:worst_n]
    mean = shown(sum(v for _, v in valued) / len(valued)) if valued else None
    return {"metric": metric.name, "lower_is_better": metric.lower_is_better,
            "classes": [c.as_json() for c in scale], "no_data_colour": NO_DATA_COLOUR,
            "communes": rows, "mean": mean,
            "worst": [{"code": c, "name": rows[c]["name"], "value": v} for c, v in worst]}

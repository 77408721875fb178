"""Pure helpers of the VictoriaMetrics reader (no I/O): series selectors, the exact millisecond
arithmetic of ranges and windows, and turning exported series back into the rows the InfluxQL
reader gives (one row per point, the fields as columns), including ``GROUP BY time(step,
offset)`` merges of rollup buckets.

How VictoriaMetrics names what the line-protocol writer sends: a point of measurement ``m``
with field ``f`` is the series ``m_f``; tags are labels; ``/write?db=X`` adds the label
``db="X"`` (the database, since VictoriaMetrics has no databases); timestamps are kept in
milliseconds; values are float64 (booleans 1/0; strings are not kept, see
``tsdb/victoria.py`` ``LABEL_FIELDS``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

Labels = Mapping[str, str]
#: one exported series: labels (with ``__name__``), values, timestamps in ms
Exported = tuple[Labels, Sequence[float], Sequence[int]]

_REGEX_SPECIAL = frozenset("\\.+*?()|[]{}^$")


def regex_escape(text: str) -> str:
    """``text`` matched literally by an RE2 regex (only the metacharacters escaped: RE2
    refuses escapes of letters and spaces, so ``re.escape`` does not do)."""
    return "".join("\\" + c if c in _REGEX_SPECIAL else c for c in text)


def quote(text: str) -> str:
    """A MetricsQL double-quoted string literal."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def metric_name(measurement: str, field: str) -> str:
    """The series name VictoriaMetrics gives a line-protocol field."""
    return f"{measurement}_{field}"


def selector(measurement: str, fields: Sequence[str], tags: Mapping[str, str | Sequence[str]],
             database: str) -> str | None:
    """``{__name__=~"m_(f1|f2)", db="...", tag="v", tag2=~"a|b"}``; None when a tag must
    match an empty list of values (nothing can match)."""
    names = "|".join(regex_escape(metric_name(measurement, f)) for f in fields)
    parts = [f"__name__=~{quote(names)}" if len(fields) > 1
             else f"__name__={quote(metric_name(measurement, fields[0]))}",
             f"db={quote(database)}"]
    for key, value in sorted(tags.items()):
        if isinstance(value, str):
            parts.append(f"{key}={quote(value)}")
            continue
        values = list(value)
        if not values:
            return None
        if len(values) == 1:
            parts.append(f"{key}={quote(values[0])}")
        else:
            parts.append(f"{key}=~{quote('|'.join(regex_escape(v) for v in values))}")
    return "{" + ", ".join(parts) + "}"


def ms_range(start_ns: int, end_ns: int) -> tuple[int, int]:
    """[start, end) in ns -> [first, after) in whole ms: a ms timestamp t is in the range
    exactly when first <= t < after."""
    return -((-start_ns) // 1_000_000), -((-end_ns) // 1_000_000)


def seconds(ms: int) -> str:
    """Milliseconds as the seconds string VictoriaMetrics takes for start/end/time."""
    sign = "-" if ms < 0 else ""
    ms = abs(ms)
    return f"{sign}{ms // 1000}.{ms % 1000:03d}"


def rows_from_series(series: Iterable[Exported], measurement: str, fields: Sequence[str],
                     first_ms: int, after_ms: int, group_by: Sequence[str] = (),
                     keep_labels: Sequence[str] = ()) -> list[dict[str, Any]]:
    """Exported series -> one row per (series, timestamp) in [first, after), as InfluxQL
    ``SELECT fields ... GROUP BY group_by`` gives them: ``time`` in ns, every field (None where
    the point lacks it), the group tags ("" where a series lacks one); ordered by the group
    tags, then time. ``keep_labels`` are copied into the row as well (status labels)."""
    by_name = {metric_name(measurement, f): f for f in fields}
    rows: dict[tuple[tuple[tuple[str, str], ...], int], dict[str, Any]] = {}
    for labels, values, stamps in series:
        field = by_name.get(str(labels.get("__name__", "")))
        if field is None:
            continue
        ident = tuple(sorted((k, v) for k, v in labels.items() if k != "__name__"))
        for v, t in zip(values, stamps, strict=False):
            if not first_ms <= t < after_ms or (isinstance(v, float) and math.isnan(v)):
                continue
            row = rows.get((ident, t))
            if row is None:
                row = {"time": t * 1_000_000, **dict.fromkeys(fields)}
                for g in group_by:
                    row[g] = labels.get(g, "")
                for k in keep_labels:
                    row[k] = labels.get(k, "")
                rows[(ident, t)] = row
            row[field] = v
    ordered = sorted(rows.items(), key=lambda kv: (
        tuple(str(kv[1].get(g, "")) for g in group_by), kv[0][1], kv[0][0]))
    return [row for _, row in ordered]


def merge_steps(rows: Iterable[Mapping[str, Any]], metrics: Sequence[str], step_s: int,
                offset_s: int, group_by: Sequence[str] = ()) -> list[dict[str, Any]]:
    """Rollup rows merged as ``SELECT min(m_min), mean(m_mean), max(m_max), sum(m_n) ...
    GROUP BY time(step, offset), group_by fill(none)`` does: per step ``min`` of the mins,
    ``max`` of the maxes, the mean of the bucket means and the sum of the counts; a step is
    stamped with its start; steps without any row are left out."""
    step_ns, off_ns = step_s * 10**9, offset_s * 10**9
    cols = [f"{m}_{x}" for m in metrics for x in ("min", "mean", "max", "n")]
    acc: dict[tuple[tuple[str, ...], int], dict[str, list[float]]] = {}
    for r in rows:
        t = int(r["time"])
        start = t - (t - off_ns) % step_ns
        key = (tuple(str(r.get(g, "")) for g in group_by), start)
        cell = acc.setdefault(key, {c: [] for c in cols})
        for c in cols:
            v = r.get(c)
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                cell[c].append(v)
    out: list[dict[str, Any]] = []
    for (gvals, start), cell in sorted(acc.items()):
        row: dict[str, Any] = {"time": start}
        row.update(zip(group_by, gvals, strict=True))
        for m in metrics:
            lo, mean, hi, n = (cell[f"{m}_{x}"] for x in ("min", "mean", "max", "n"))
            row[f"{m}_min"] = min(lo) if lo else None
            row[f"{m}_mean"] = sum(mean) / len(mean) if mean else None
            row[f"{m}_max"] = max(hi) if hi else None
            row[f"{m}_n"] = int(sum(n)) if n else None
        out.append(row)
    return out


def slot_evaluations(first_ms: int, after_ms: int, width_s: int, max_points: int
                     ) -> list[tuple[int, int]]:
    """Evaluation times for a ``f(m[width])`` range query that sees exactly one bucket of
    ``width`` (stamped with its start, a multiple of ``width``) per point: the buckets
    starting in [first, after) are evaluated at start + width - 1 ms, whose window
    (start - 1 ms, start + width - 1 ms] holds only that bucket's stamp. Returned as
    (first, last) evaluation times in ms, in chunks of at most ``max_points``."""
    w = width_s * 1000
    s0 = -((-first_ms) // w) * w
    s_last = -((-after_ms) // w) * w - w
    out: list[tuple[int, int]] = []
    s = s0
    while s <= s_last:
        e = min(s_last, s + (max_points - 1) * w)
        out.append((s + w - 1, e + w - 1))
        s = e + w
    return out


def day_pieces(first_ms: int, after_ms: int) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """[first, after) cut at UTC midnights: (runs of whole days as (first day, last day)
    starts, partial days as (from, to) ms)."""
    day = 86_400_000
    whole: list[tuple[int, int]] = []
    partial: list[tuple[int, int]] = []
    d = first_ms - first_ms % day
    while d < after_ms:
        a, b = max(first_ms, d), min(after_ms, d + day)
        if (a, b) == (d, d + day):
            if whole and whole[-1][1] == d - day:
                whole[-1] = (whole[-1][0], d)
            else:
                whole.append((d, d))
        elif b > a:
            partial.append((a, b))
        d += day
    return whole, partial

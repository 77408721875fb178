"""Reading history back: rollups, raw samples and link status changes (InfluxQL, bound
parameters). Works on 1.x and on the v1 query API of 2.x/3.x (see ``tsdb/retention.py``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from provnet.tsdb.influxql import quote_ident
from provnet.tsdb.measurements import LINK_STATUS


class Querier(Protocol):
    """What reading needs: ``InfluxQLReader.query``."""

    def query(self, q: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        """Run InfluxQL; rows as dicts (``time`` in ns)."""
        ...


def _where(tags: Mapping[str, str | Sequence[str]], params: dict[str, Any]) -> str:
    parts: list[str] = []
    for i, (k, v) in enumerate(sorted(tags.items())):
        values = [v] if isinstance(v, str) else list(v)
        alts = []
        for j, one in enumerate(values):
            name = f"t{i}_{j}"
            params[name] = one
            alts.append(f"{quote_ident(k)} = ${name}")
        parts.append("(" + " OR ".join(alts) + ")" if alts else "false")
    return "".join(f" AND {p}" for p in parts)


def _time(start_ns: int, end_ns: int) -> str:
    return f"time >= {int(start_ns)} AND time < {int(end_ns)}"


def read_series(q: Querier, source: str, fields: Sequence[str],
                tags: Mapping[str, str | Sequence[str]], start_ns: int, end_ns: int,
                group_by: Sequence[str] = ()) -> list[dict[str, Any]]:
    """Rows of ``fields`` from ``source`` (a quoted measurement, optionally "rp"."m") filtered
    by tag values, in time order; ``group_by`` tags come back in each row."""
    params: dict[str, Any] = {}
    cols = ", ".join(quote_ident(f) for f in fields)
    group = f" GROUP BY {', '.join(quote_ident(g) for g in group_by)}" if group_by else ""
    text = (f"SELECT {cols} FROM {source} WHERE {_time(start_ns, end_ns)}"
            f"{_where(tags, params)}{group}")
    return q.query(text, params=params)


def read_steps(q: Querier, source: str, metrics: Sequence[str],
               tags: Mapping[str, str | Sequence[str]], start_ns: int, end_ns: int, step_s: int,
               offset_s: int, group_by: Sequence[str] = ()) -> list[dict[str, Any]]:
    """Rollup buckets merged into steps by InfluxDB (``GROUP BY time(step, offset)``): per
    metric ``min`` of the mins, ``max`` of the maxes, ``mean`` of the bucket means and ``sum``
    of the counts, under the rollup field names (``m_min``, ``m_mean``, ``m_max``, ``m_n``)."""
    params: dict[str, Any] = {}
    cols = ", ".join(
        f'{fn}({quote_ident(f"{m}_{x}")}) AS {quote_ident(f"{m}_{x}")}'
        for m in metrics for fn, x in (("min", "min"), ("mean", "mean"), ("max", "max"),
                                       ("sum", "n")))
    group = ", ".join([f"time({int(step_s)}s, {int(offset_s)}s)",
                       *(quote_ident(g) for g in group_by)])
    text = (f"SELECT {cols} FROM {source} WHERE {_time(start_ns, end_ns)}"
            f"{_where(tags, params)} GROUP BY {group} fill(none)")
    return q.query(text, params=params)


def read_status_changes(q: Querier, source_rp: str | None, link: str, start_ns: int,
                        end_ns: int) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """A link's status changes in [start, end), and the last one before (its state at start)."""
    m = quote_ident(LINK_STATUS)
    src = f"{quote_ident(source_rp)}.{m}" if source_rp else m
    params = {"link": link}
    before = q.query(f'SELECT "status", "reason" FROM {src} WHERE time < {int(start_ns)} '
                     'AND "link" = $link ORDER BY time DESC LIMIT 1', params=params)
    rows = q.query(f'SELECT "status", "reason" FROM {src} WHERE {_time(start_ns, end_ns)} '
                   'AND "link" = $link', params=params)
    return (before[0] if before else None), rows

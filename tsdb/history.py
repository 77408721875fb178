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

"""Reading history back: rollups, raw samples and link status changes.

:class:`HistoryReader` is what the history, percentile, timeline, availability and rebuild
code read through; :class:`InfluxHistory` answers it with InfluxQL (bound parameters) on
1.x and on the v1 query API of 2.x/3.x (see ``tsdb/retention.py``), and
``tsdb/victoria.py`` ``VictoriaHistory`` with VictoriaMetrics' export and query APIs.

A ``source`` is an InfluxQL ``FROM`` as ``quote_ident`` builds it: ``"measurement"`` or
``"rp"."measurement"`` (:func:`split_source` takes it apart for other stores).
"""

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


class HistoryReader(Protocol):
    """The reads of the history code, whatever the store. Rows are dicts with ``time`` in
    ns, the fields asked for and the ``group_by`` tags; ranges are [start, end)."""

    def read_series(self, source: str, fields: Sequence[str],
                    tags: Mapping[str, str | Sequence[str]], start_ns: int, end_ns: int,
                    group_by: Sequence[str] = ()) -> list[dict[str, Any]]:
        """Every point's ``fields`` (see :func:`read_series`)."""
        ...

    def read_steps(self, source: str, metrics: Sequence[str],
                   tags: Mapping[str, str | Sequence[str]], start_ns: int, end_ns: int,
                   step_s: int, offset_s: int, group_by: Sequence[str] = ()
                   ) -> list[dict[str, Any]]:
        """Rollup buckets merged into steps (see :func:`read_steps`)."""
        ...

    def read_status_changes(self, source_rp: str | None, link: str, start_ns: int,
                            end_ns: int) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
        """A link's status changes (see :func:`read_status_changes`)."""
        ...

    def read_below(self, source: str, field: str, limit: float,
                   tags: Mapping[str, str | Sequence[str]], start_ns: int, end_ns: int,
                   width_s: int, group_by: Sequence[str] = ()) -> list[dict[str, Any]]:
        """The buckets (of ``width_s``, stamped with their start) whose ``field`` < ``limit``."""
        ...

    def count_per_day(self, source: str, field: str, tags: Mapping[str, str | Sequence[str]],
                      start_ns: int, end_ns: int, group_by: Sequence[str] = ()
                      ) -> list[dict[str, Any]]:
        """Per UTC day (``time``: its midnight) the number of ``field`` values in the range,
        as ``count``; days without any may be left out."""
        ...

    def sum_per_day(self, source: str, field: str, present: str,
                    tags: Mapping[str, str | Sequence[str]], start_ns: int, end_ns: int,
                    group_by: Sequence[str] = ()) -> list[dict[str, Any]]:
        """Per UTC day (``time``: its midnight): the sum of ``field`` (``sum``), the number of
        its values (``count``) and of ``present``'s values (``present``); days without any
        may be left out, a missing key is 0."""
        ...


def split_source(source: str) -> tuple[str | None, str]:
    """``"rp"."m"`` -> ("rp", "m"); ``"m"`` -> (None, "m") (the inverse of ``quote_ident``)."""
    parts: list[str] = []
    i = 0
    while i < len(source):
        if source[i] != '"':
            raise ValueError(f"not a quoted source: {source!r}")
        j, buf = i + 1, []
        while j < len(source) and source[j] != '"':
            if source[j] == "\\" and j + 1 < len(source):
                j += 1
                buf.append({"n": "\n"}.get(source[j], source[j]))
            else:
                buf.append(source[j])
            j += 1
        parts.append("".join(buf))
        i = j + 1
        if i < len(source):
            if source[i] != ".":
                raise ValueError(f"not a quoted source: {source!r}")
            i += 1
    if len(parts) == 1:
        return None, parts[0]
    if len(parts) == 2:
        return parts[0], parts[1]
    raise ValueError(f"not a quoted source: {source!r}")


class InfluxHistory:
    """:class:`HistoryReader` over InfluxQL (``InfluxQLReader`` or any :class:`Querier`)."""

    def __init__(self, q: Querier) -> None:
        self.q = q

    def read_series(self, source: str, fields: Sequence[str],
                    tags: Mapping[str, str | Sequence[str]], start_ns: int, end_ns: int,
                    group_by: Sequence[str] = ()) -> list[dict[str, Any]]:
        """See :func:`read_series`."""
        return read_series(self.q, source, fields, tags, start_ns, end_ns, group_by)

    def read_steps(self, source: str, metrics: Sequence[str],
                   tags: Mapping[str, str | Sequence[str]], start_ns: int, end_ns: int,
                   step_s: int, offset_s: int, group_by: Sequence[str] = ()
                   ) -> list[dict[str, Any]]:
        """See :func:`read_steps`."""
        return read_steps(self.q, source, metrics, tags, start_ns, end_ns, step_s, offset_s,
                          group_by)

    def read_status_changes(self, source_rp: str | None, link: str, start_ns: int,
                            end_ns: int) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
        """See :func:`read_status_changes`."""
        return read_status_changes(self.q, source_rp, link, start_ns, end_ns)

    def read_below(self, source: str, field: str, limit: float,
                   tags: Mapping[str, str | Sequence[str]], start_ns: int, end_ns: int,
                   width_s: int, group_by: Sequence[str] = ()) -> list[dict[str, Any]]:
        """``SELECT field ... WHERE field < limit``."""
        params: dict[str, Any] = {"limit": float(limit)}
        group = f" GROUP BY {', '.join(quote_ident(g) for g in group_by)}" if group_by else ""
        f = quote_ident(field)
        return self.q.query(f"SELECT {f} FROM {source} WHERE {_time(start_ns, end_ns)}"
                            f"{_where(tags, params)} AND {f} < $limit{group}", params=params)

    def count_per_day(self, source: str, field: str, tags: Mapping[str, str | Sequence[str]],
                      start_ns: int, end_ns: int, group_by: Sequence[str] = ()
                      ) -> list[dict[str, Any]]:
        """``SELECT count(field) ... GROUP BY time(1d)`` (buckets start at UTC midnight)."""
        params: dict[str, Any] = {}
        group = ", ".join(["time(1d)", *(quote_ident(g) for g in group_by)])
        return self.q.query(f"SELECT count({quote_ident(field)}) FROM {source} WHERE "
                            f"{_time(start_ns, end_ns)}{_where(tags, params)} GROUP BY {group} "
                            "fill(0)", params=params)

    def sum_per_day(self, source: str, field: str, present: str,
                    tags: Mapping[str, str | Sequence[str]], start_ns: int, end_ns: int,
                    group_by: Sequence[str] = ()) -> list[dict[str, Any]]:
        """``SELECT sum(field), count(field), count(present) ... GROUP BY time(1d)``."""
        params: dict[str, Any] = {}
        f, p = quote_ident(field), quote_ident(present)
        group = ", ".join(["time(1d)", *(quote_ident(g) for g in group_by)])
        return self.q.query(f'SELECT sum({f}) AS "sum", count({f}) AS "count", count({p}) AS '
                            f'"present" FROM {source} WHERE {_time(start_ns, end_ns)}'
                            f"{_where(tags, params)} GROUP BY {group} fill(0)", params=params)

    def close(self) -> None:
        """Close the querier when it can be closed."""
        close = getattr(self.q, "close", None)
        if callable(close):
            close()


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

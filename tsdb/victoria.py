"""VictoriaMetrics beside InfluxDB: the same line-protocol writer, and the history reads
(``tsdb/history.py`` ``HistoryReader``) through its HTTP APIs.

* Writes: :class:`VictoriaWriter` is the ``/write`` (1.x) writer; VictoriaMetrics ignores
  ``rp``, names a field ``<measurement>_<field>`` and turns ``db`` into a ``db`` label. It
  keeps numbers only, so the string fields the history reads back (``link_status``'s
  ``status`` and ``reason``) become labels of a ``link_status_change`` = 1 sample, and other
  string fields are left out of points it encodes itself.
* Reads: raw samples and rollup buckets through ``/api/v1/export`` (the stored samples, exact
  to the millisecond, turned into the InfluxQL reader's rows by ``tsdb/vmread.py``); steps of
  many buckets merged in Python from the exported buckets; availability's two questions with
  MetricsQL (``last_over_time(...) < 1`` and ``count_over_time``) over ``/api/v1/query_range``
  and ``/api/v1/query``, evaluated so that each window holds exactly one bucket or one day.

Failures are the tsdb package's errors, as for InfluxDB (``TsdbUnavailable``: cannot reach
or 5xx; ``TsdbError``: the query was refused).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Mapping, Sequence
from types import TracebackType
from typing import Any, Self

import httpx

from provnet.tsdb.client import ServerStatus, V1Writer, _auth
from provnet.tsdb.errors import TsdbError, TsdbUnavailable
from provnet.tsdb.history import split_source
from provnet.tsdb.lineprotocol import encode_lines
from provnet.tsdb.measurements import LINK_STATUS
from provnet.tsdb.points import Point
from provnet.tsdb.vmread import (
    Exported,
    day_pieces,
    merge_steps,
    ms_range,
    rows_from_series,
    seconds,
    selector,
    slot_evaluations,
)

log = logging.getLogger(__name__)

#: string fields VictoriaMetrics cannot keep, written as labels instead (read back as such)
LABEL_FIELDS: Mapping[str, tuple[str, ...]] = {LINK_STATUS: ("status", "reason")}
#: the numeric field such a point carries instead (``link_status_change`` = 1)
MARKER_FIELD = "change"
#: points per series and range query (VictoriaMetrics refuses more than 30,000 by default)
MAX_POINTS = 10_000


def for_victoria(p: Point) -> Point:
    """A point as VictoriaMetrics can keep it (see :data:`LABEL_FIELDS`)."""
    strings = [k for k, v in p.fields.items() if isinstance(v, str)]
    if not strings:
        return p
    as_labels = LABEL_FIELDS.get(p.measurement, ())
    tags = dict(p.tags)
    for k in as_labels:
        v = p.fields.get(k)
        if isinstance(v, str) and v:
            tags[k] = v
    fields = {k: v for k, v in p.fields.items() if not isinstance(v, str)}
    if as_labels:
        fields[MARKER_FIELD] = 1
    return Point(p.measurement, fields, tags, p.time_ns)


class VictoriaWriter(V1Writer):
    """``POST /write?db=`` to VictoriaMetrics (the 1.x writer; string fields as above)."""

    def write(self, points: Sequence[Point]) -> None:
        """Encode and write points (strings turned into labels or left out)."""
        lines = encode_lines(q for q in map(for_victoria, points) if q.fields)
        if lines:
            self.write_lines(lines)


class VictoriaClient:
    """The HTTP APIs the reader uses: export, query, query_range, health, force_flush."""

    def __init__(self, url: str, username: str | None = None, password: str | None = None,
                 timeout_s: float = 30.0) -> None:
        self.url = url.rstrip("/")
        self._http = httpx.Client(base_url=self.url, timeout=timeout_s,
                                  auth=_auth(username, password), trust_env=False)

    def _post(self, path: str, form: Mapping[str, str | Sequence[str]]) -> httpx.Response:
        try:
            r = self._http.post(path, data=dict(form))
        except httpx.HTTPError as exc:
            raise TsdbUnavailable(f"VictoriaMetrics {path} at {self.url} failed: {exc!r}"
                                  ) from exc
        if r.status_code >= 500:
            raise TsdbUnavailable(f"VictoriaMetrics {path} at {self.url}: HTTP {r.status_code}"
                                  f" {r.text[:300]}")
        if not r.is_success:
            raise TsdbError(f"VictoriaMetrics {path} refused: HTTP {r.status_code} "
                            f"{r.text[:300]} ({dict(form)})")
        return r

    def export(self, match: str, first_ms: int | None, after_ms: int) -> Iterator[Exported]:
        """The stored samples of the series matching ``match`` in [first, after) ms."""
        form: dict[str, str] = {"match[]": match, "end": seconds(after_ms - 1)}
        if first_ms is not None:
            form["start"] = seconds(first_ms)
        r = self._post("/api/v1/export", form)
        for line in r.text.splitlines():
            if line:
                obj = json.loads(line)
                yield obj["metric"], obj["values"], obj["timestamps"]

    def query_range(self, query: str, first_ms: int, last_ms: int, step_s: int
                    ) -> list[tuple[dict[str, str], list[tuple[int, float]]]]:
        """``/api/v1/query_range`` evaluated at first, first + step, ... <= last (ms; no
        alignment of start to the step, no cache); points as (ms, value)."""
        body = self._post("/api/v1/query_range", {
            "query": query, "start": seconds(first_ms), "end": seconds(last_ms),
            "step": f"{step_s}s", "nocache": "1"}).json()
        return [(res["metric"], [(round(float(t) * 1000), float(v)) for t, v in res["values"]])
                for res in body["data"]["result"]]

    def query(self, query: str, at_ms: int) -> list[tuple[dict[str, str], float]]:
        """``/api/v1/query`` at one time (ms)."""
        body = self._post("/api/v1/query", {"query": query, "time": seconds(at_ms),
                                            "nocache": "1"}).json()
        return [(res["metric"], float(res["value"][1])) for res in body["data"]["result"]]

    def force_flush(self) -> None:
        """Make what was just written searchable now (it is within a second anyway)."""
        try:
            self._http.get("/internal/force_flush")
        except httpx.HTTPError as exc:
            raise TsdbUnavailable(f"VictoriaMetrics force_flush failed: {exc!r}") from exc

    def ping(self) -> ServerStatus:
        """``GET /health``. Never raises."""
        try:
            r = self._http.get("/health")
        except Exception as exc:  # a status probe must not fail its caller
            return ServerStatus(ok=False, error=repr(exc))
        if r.is_success:
            return ServerStatus(ok=True, version="victoriametrics")
        return ServerStatus(ok=False, error=f"HTTP {r.status_code}: {r.text[:200]}")

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


class VictoriaHistory:
    """``HistoryReader`` on one VictoriaMetrics (samples labelled ``db=database``)."""

    def __init__(self, client: VictoriaClient, database: str) -> None:
        self.client, self.database = client, database

    def ping(self) -> ServerStatus:
        """Reachable or not (for ``/api/v1/health``)."""
        return self.client.ping()

    def close(self) -> None:
        """Close the client."""
        self.client.close()

    def _export(self, measurement: str, fields: Sequence[str],
                tags: Mapping[str, str | Sequence[str]], first_ms: int | None, after_ms: int
                ) -> list[Exported]:
        match = selector(measurement, fields, tags, self.database)
        return [] if match is None else list(self.client.export(match, first_ms, after_ms))

    def read_series(self, source: str, fields: Sequence[str],
                    tags: Mapping[str, str | Sequence[str]], start_ns: int, end_ns: int,
                    group_by: Sequence[str] = ()) -> list[dict[str, Any]]:
        """The stored points of [start, end), one row per series and time."""
        _, m = split_source(source)
        first, after = ms_range(start_ns, end_ns)
        if after <= first or not fields:
            return []
        return rows_from_series(self._export(m, fields, tags, first, after), m, fields, first,
                                after, group_by)

    def read_steps(self, source: str, metrics: Sequence[str],
                   tags: Mapping[str, str | Sequence[str]], start_ns: int, end_ns: int,
                   step_s: int, offset_s: int, group_by: Sequence[str] = ()
                   ) -> list[dict[str, Any]]:
        """The buckets of [start, end) merged into steps (``tsdb/vmread.py`` ``merge_steps``)."""
        fields = [f"{m}_{x}" for m in metrics for x in ("min", "mean", "max", "n")]
        rows = self.read_series(source, fields, tags, start_ns, end_ns, group_by)
        return merge_steps(rows, metrics, step_s, offset_s, group_by)

    def read_status_changes(self, source_rp: str | None, link: str, start_ns: int,
                            end_ns: int) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
        """A link's ``link_status_change`` samples in [start, end) and the last one before."""
        first, after = ms_range(start_ns, end_ns)
        keep = LABEL_FIELDS[LINK_STATUS]
        tags = {"link": link}

        def rows(lo: int | None, hi: int) -> list[dict[str, Any]]:
            series = self._export(LINK_STATUS, (MARKER_FIELD,), tags, lo, hi)
            return [{k: r[k] for k in ("time", *keep)} for r in rows_from_series(
                series, LINK_STATUS, (MARKER_FIELD,), lo if lo is not None else -2**62, hi,
                keep_labels=keep)]

        before = rows(None, first)
        return (before[-1] if before else None), rows(first, after)

    def read_below(self, source: str, field: str, limit: float,
                   tags: Mapping[str, str | Sequence[str]], start_ns: int, end_ns: int,
                   width_s: int, group_by: Sequence[str] = ()) -> list[dict[str, Any]]:
        """``last_over_time(m[width]) < limit`` at the end of each bucket of [start, end)."""
        _, m = split_source(source)
        match = selector(m, (field,), tags, self.database)
        first, after = ms_range(start_ns, end_ns)
        if match is None:
            return []
        out: list[dict[str, Any]] = []
        q = f"last_over_time({match}[{width_s}s]) < {float(limit)!r}"
        for lo, hi in slot_evaluations(first, after, width_s, MAX_POINTS):
            for labels, points in self.client.query_range(q, lo, hi, width_s):
                for t, v in points:
                    row: dict[str, Any] = {"time": (t + 1 - width_s * 1000) * 1_000_000,
                                           field: v}
                    row.update({g: labels.get(g, "") for g in group_by})
                    out.append(row)
        out.sort(key=lambda r: (tuple(str(r[g]) for g in group_by), r["time"]))
        return out

    def count_per_day(self, source: str, field: str, tags: Mapping[str, str | Sequence[str]],
                      start_ns: int, end_ns: int, group_by: Sequence[str] = ()
                      ) -> list[dict[str, Any]]:
        """``count_over_time`` per UTC day (whole days by one range query, the partial first
        and last days by an instant query each, with windows cut at the range's ends)."""
        return self._per_day("count_over_time", "count", source, field, tags, start_ns, end_ns,
                             group_by)

    def sum_per_day(self, source: str, field: str, present: str,
                    tags: Mapping[str, str | Sequence[str]], start_ns: int, end_ns: int,
                    group_by: Sequence[str] = ()) -> list[dict[str, Any]]:
        """``sum_over_time`` and ``count_over_time`` of ``field`` and ``count_over_time`` of
        ``present`` per UTC day, joined per day and group."""
        merged: dict[tuple[tuple[str, ...], int], dict[str, Any]] = {}
        for fn, key, f in (("sum_over_time", "sum", field), ("count_over_time", "count", field),
                           ("count_over_time", "present", present)):
            for r in self._per_day(fn, key, source, f, tags, start_ns, end_ns, group_by):
                k = (tuple(str(r[g]) for g in group_by), r["time"])
                merged.setdefault(k, {"time": r["time"], "sum": 0, "count": 0, "present": 0,
                                      **{g: r[g] for g in group_by}})[key] = r[key]
        return [merged[k] for k in sorted(merged)]

    def _per_day(self, fn: str, key: str, source: str, field: str,
                 tags: Mapping[str, str | Sequence[str]], start_ns: int, end_ns: int,
                 group_by: Sequence[str]) -> list[dict[str, Any]]:
        """``fn(m[1d])`` per UTC day of [start, end) as rows with ``key``."""
        _, m = split_source(source)
        match = selector(m, (field,), tags, self.database)
        first, after = ms_range(start_ns, end_ns)
        if match is None:
            return []
        day_ms = 86_400_000
        out: list[dict[str, Any]] = []

        def row(day: int, labels: Mapping[str, str], value: float) -> dict[str, Any]:
            return {"time": day * 1_000_000, key: int(value) if value == int(value) else value,
                    **{g: labels.get(g, "") for g in group_by}}

        whole, partial = day_pieces(first, after)
        q_day = f"{fn}({match}[1d])"
        for d0, d1 in whole:
            lo = d0
            while lo <= d1:
                hi = min(d1, lo + (MAX_POINTS - 1) * day_ms)
                for labels, points in self.client.query_range(q_day, lo + day_ms - 1,
                                                              hi + day_ms - 1, 86400):
                    out.extend(row(t + 1 - day_ms, labels, v) for t, v in points)
                lo = hi + day_ms
        for a, b in partial:
            for labels, v in self.client.query(f"{fn}({match}[{b - a}ms])", b - 1):
                out.append(row(a - a % day_ms, labels, v))
        out.sort(key=lambda r: (tuple(str(r[g]) for g in group_by), r["time"]))
        return out

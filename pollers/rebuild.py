"""``provnet history rebuild``: recompute rollups for a range from the raw samples.

Raw rows are read back per day (a plain read of the raw fields, no server-side
aggregation) and fed to the same :class:`~provnet.pollers.rollup.RollupAggregator` as the
live stream; the buckets are written with the same timestamps and tags, so they overwrite.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from provnet.pollers.rollup import KEPT_TAGS, RESET_FIELD, ROLLED, RollupAggregator
from provnet.tsdb.client import Writer
from provnet.tsdb.history import HistoryReader
from provnet.tsdb.influxql import quote_ident
from provnet.tsdb.measurements import IFSTATS

DAY_S = 86400


@dataclass
class RebuildReport:
    """What a rebuild did."""

    raw_rows: int = 0
    points: dict[int, int] | None = None
    chunks: int = 0


def feed_raw(q: HistoryReader, agg: RollupAggregator, start_s: int, end_s: int) -> int:
    """Feed every raw sample of [start, end) that is rolled up into ``agg``; rows read."""
    n = 0
    for src, names in ROLLED.items():
        fields: Sequence[str] = (*names, RESET_FIELD) if src == IFSTATS else names
        rows = q.read_series(quote_ident(src), fields, {}, start_s * 10**9, end_s * 10**9,
                           group_by=KEPT_TAGS)
        n += len(rows)
        for row in rows:
            tags = {k: str(row[k]) for k in KEPT_TAGS if row.get(k) not in (None, "")}
            agg.add(src, tags, row, int(row["time"]))
    return n


def rebuild(q: HistoryReader, writers: Mapping[int, Writer], start_s: int, end_s: int,
            chunk_s: int = DAY_S, progress: Callable[[int, int], None] | None = None,
            ) -> RebuildReport:
    """Recompute the rollups of [start, end) (widened to whole hours) from raw samples."""
    start_s -= start_s % 3600
    end_s += (-end_s) % 3600
    report = RebuildReport(points={w: 0 for w in writers})
    assert report.points is not None
    t = start_s
    while t < end_s:
        hi = min(end_s, t + chunk_s)
        agg = RollupAggregator(writers.keys())
        report.raw_rows += feed_raw(q, agg, t, hi)
        for width, pts in agg.flush_all().items():
            writers[width].write(pts)
            report.points[width] += len(pts)
        report.chunks += 1
        if progress is not None:
            progress(hi - start_s, end_s - start_s)
        t = hi
    return report

"""Retention and the rollup stores: where each resolution lives, on 1.x and on 2.x/3.x.

InfluxDB 1.x: one database; raw samples in its default retention policy (its duration set at
start), the 5-minute and 1-hour rollups in their own retention policies, written with
``/write?rp=``. InfluxDB 2.x/3.x (and line-protocol-compatible stores): the rollups go to the
buckets named in the settings, read back through the v1 query API with the bucket as database.
No continuous query is involved: provnet computes the rollups itself (``pollers/rollup.py``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from provnet.config.history import HistorySettings
from provnet.config.settings import InfluxSettings
from provnet.tsdb.client import InfluxQLReader, V1Writer, Writer, api_for_version, make_writer
from provnet.tsdb.influxql import quote_ident
from provnet.tsdb.measurements import ROLLUP_1H, ROLLUP_5M

log = logging.getLogger(__name__)

WIDTH_MEASUREMENT = {300: ROLLUP_5M, 3600: ROLLUP_1H}


def duration(days: float) -> str:
    """InfluxQL duration of a retention policy (``INF`` for 0; at least one hour)."""
    if days <= 0:
        return "INF"
    return f"{max(1, round(days * 24))}h"


def apply_retention(reader: InfluxQLReader, database: str, cfg: HistorySettings) -> list[str]:
    """Create or alter the rollup policies and set the raw (default) policy's duration (1.x).

    Returns the statements run (for the log). Idempotent: run at every start.
    """
    db = quote_ident(database)
    rows = reader.query(f"SHOW RETENTION POLICIES ON {db}")
    have = {str(r["name"]): r for r in rows}
    default = next((str(r["name"]) for r in rows if r.get("default")), "autogen")
    stmts: list[str] = []
    if cfg.apply_retention:
        stmts.append(f"ALTER RETENTION POLICY {quote_ident(default)} ON {db} "
                     f"DURATION {duration(cfg.raw_days)}")
    for name, days, shard in ((cfg.policy_5m, cfg.rollup_5m_days, "30d"),
                              (cfg.policy_1h, cfg.rollup_1h_days, "90d")):
        verb = "ALTER" if name in have else "CREATE"
        # long shards: a year of rollups spans 13 (5 min) or 5 (1 h) shards, not 52
        stmts.append(f"{verb} RETENTION POLICY {quote_ident(name)} ON {db} "
                     f"DURATION {duration(days)}" + (" REPLICATION 1" if verb == "CREATE" else "")
                     + f" SHARD DURATION {shard}")
    for s in stmts:
        reader.query(s)
    log.info("retention: raw %s, 5 min %s, 1 h %s", duration(cfg.raw_days),
             duration(cfg.rollup_5m_days), duration(cfg.rollup_1h_days))
    return stmts


@dataclass(frozen=True)
class RollupLocation:
    """Where one resolution is read from: a ``FROM`` clause and the database to query."""

    width: int
    database: str
    source: str  # quoted "rp"."measurement" (1.x) or "measurement" (bucket as database)


def locations(influx: InfluxSettings, cfg: HistorySettings,
              version: str | None) -> dict[int, RollupLocation]:
    """Per bucket width, where its rollups live on this server."""
    v2 = (influx.write_api if influx.write_api != "auto" else api_for_version(version)) == "v2"
    out: dict[int, RollupLocation] = {}
    for width, m in WIDTH_MEASUREMENT.items():
        if v2:
            bucket = cfg.bucket_5m if width == 300 else cfg.bucket_1h
            out[width] = RollupLocation(width, bucket, quote_ident(m))
        else:
            rp = cfg.policy_5m if width == 300 else cfg.policy_1h
            out[width] = RollupLocation(width, influx.database,
                                        f"{quote_ident(rp)}.{quote_ident(m)}")
    return out


def rollup_writers(influx: InfluxSettings, cfg: HistorySettings, url: str,
                   version: str | None) -> dict[int, Writer]:
    """One writer per bucket width: ``/write?rp=`` on 1.x, the configured bucket on 2.x/3.x."""
    api = influx.write_api if influx.write_api != "auto" else api_for_version(version)
    out: dict[int, Writer] = {}
    for width in WIDTH_MEASUREMENT:
        if api == "v1":
            pw = influx.password.get_secret_value() if influx.password else None
            rp = cfg.policy_5m if width == 300 else cfg.policy_1h
            out[width] = V1Writer(url, influx.database, influx.username, pw, influx.timeout_s,
                                  influx.batch_size, retention_policy=rp)
        else:
            bucket = cfg.bucket_5m if width == 300 else cfg.bucket_1h
            out[width] = make_writer(influx.model_copy(update={"bucket": bucket}), url, version)
    return out


def close_all(writers: Sequence[Writer]) -> None:
    """Close writers."""
    for w in writers:
        w.close()

"""History settings: retention of raw samples and of the 5-minute and 1-hour rollups."""

from __future__ import annotations

from pydantic import Field

from provnet.config.base import Strict


class HistorySettings(Strict):
    """Rollups provnet computes from the sample stream, and how long each resolution is kept.

    On InfluxDB 1.x each resolution is a retention policy of the database (created or altered
    at start; ``0`` days keeps forever). On 2.x/3.x the rollups go to the buckets named here
    (their retention is the bucket's, set where the bucket is created).
    """

    enabled: bool = True
    raw_days: float = Field(default=7.0, ge=0)
    rollup_5m_days: float = Field(default=400.0, ge=0)  # a year plus a billing month
    rollup_1h_days: float = Field(default=5 * 365.0, ge=0)
    apply_retention: bool = True  # set the raw (default) policy's duration at start (1.x)
    raw_policy: str = "provnet_raw"
    policy_5m: str = "provnet_5m"
    policy_1h: str = "provnet_1h"
    bucket_5m: str = "provnet_5m"  # 2.x/3.x
    bucket_1h: str = "provnet_1h"
    #: a bucket is written this long after it closes (late samples of the cycle still count)
    flush_grace_s: float = Field(default=90.0, ge=0)
    flush_every_s: float = Field(default=10.0, gt=0)
    #: at most this many points per series in one history answer (picks the resolution)
    max_points: int = Field(default=1000, gt=10, le=100_000)
    timezone: str = "Asia/Ho_Chi_Minh"

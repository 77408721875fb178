"""Which time-series store provnet writes to and reads history from, and where it is.

``backend: influxdb`` (the default) uses the ``influx:`` section. ``backend:
victoriametrics`` writes the same line protocol to VictoriaMetrics' ``/write`` and reads the
history back through its export and query APIs (``tsdb/victoria.py``).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr

from provnet.config.base import Strict


class VictoriaMetricsSettings(Strict):
    """VictoriaMetrics (single node). VictoriaMetrics has one retention per instance
    (``-retentionPeriod``), so each resolution may live in its own instance: ``url`` holds
    the raw samples, ``url_5m`` and ``url_1h`` the rollups (unset: the same as ``url``).
    No ``url`` means provnet starts three local ``victoria-metrics`` processes itself, each
    with the retention of its resolution from the ``history:`` section."""

    url: str | None = None
    url_5m: str | None = None
    url_1h: str | None = None
    #: value of the ``db`` label VictoriaMetrics adds to every sample from ``/write?db=``
    database: str = "provnet"
    username: str | None = None
    password: SecretStr | None = None
    timeout_s: float = Field(default=30.0, gt=0)
    batch_size: int = Field(default=5000, gt=0)
    #: the managed servers' binary (Debian package ``victoria-metrics``)
    binary: str = "victoria-metrics"


class TsdbSettings(Strict):
    """The store behind the line-protocol writer and the history reader, chosen at start."""

    backend: Literal["influxdb", "victoriametrics"] = "influxdb"
    victoriametrics: VictoriaMetricsSettings = Field(default_factory=VictoriaMetricsSettings)

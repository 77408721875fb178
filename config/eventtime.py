"""``alerts.eventtime:`` settings: alerting on the event time of remote poller nodes.

Remote poller nodes (``provnet agent``) hand in batches and heartbeats stamped with the time
they were taken (event time). These settings say when a node counts as silent, when it has
caught up again, and which event times are absurd (rejected and counted).
"""

from __future__ import annotations

from pydantic import Field

from provnet.config.base import Strict


class EventTimeSettings(Strict):
    """Watermarks, silence and guards for remote poller nodes."""

    #: no batch nor heartbeat for this long (wall clock): the node is silent, ONE
    #: "poller node unreachable" incident, its devices become unknown (research: failover_delay)
    silent_after_s: float = Field(default=60.0, gt=0)
    #: a returned node has caught up once its watermark is this close to the wall clock;
    #: until then its incidents are held (digest or "detected late" when it has caught up)
    caught_up_lag_s: float = Field(default=30.0, gt=0)
    #: a batch may be this much older than the node's newest event time (reordering)
    allowed_reorder_s: float = Field(default=120.0, ge=0)
    #: event times further in the future than this are rejected (a node's clock gone wrong)
    max_future_s: float = Field(default=300.0, ge=0)
    #: event times older than this are rejected (beyond the stream's retention: 72 h)
    retention_s: float = Field(default=72 * 3600.0, gt=0)
    #: absence rule: a device of a node without a result for this long of the NODE's event
    #: time has ``poll.fresh`` = 0 (evaluated only up to the node's watermark)
    stale_after_s: float = Field(default=300.0, gt=0)
    #: how often silence and catch-up are checked (wall clock)
    check_interval_s: float = Field(default=5.0, gt=0)

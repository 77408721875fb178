"""``icmp:`` settings: how often and how hard every polled device is pinged."""

from __future__ import annotations

from pydantic import Field

from provnet.config.base import Strict


class IcmpSettings(Strict):
    """``icmp:`` section of the settings."""

    enabled: bool = True
    interval_s: float = Field(default=30.0, gt=0)
    count: int = Field(default=4, ge=1, le=50)
    packet_interval_s: float = Field(default=0.25, ge=0.0)
    timeout_s: float = Field(default=1.0, gt=0)
    #: echo requests per second a sweep sends at most
    rate_pps: int = Field(default=5000, ge=1, le=1_000_000)
    #: loss at or above this (but below 100 %) makes a device "degraded"
    degraded_loss_pct: float = Field(default=25.0, gt=0, le=100)
    #: raw sockets (root) or unprivileged datagram sockets; None: raw when running as root
    privileged: bool | None = None
    #: probe in a thread with its own event loop, so RTTs do not include the service's load
    own_thread: bool = True

"""A compressed-time backfill for history tests and the bench: polls of a few devices over
weeks, stamped in the past, through the real write path (rates by ``compute_rates``, points
by ``result_points``, link state by ``LinkStatusTracker``), with rollups by the aggregator.

The plan is a list of links ``(link id, A device, commune)``; ``down[link]`` and ``gaps[device]``
are lists of ``[start, end)`` intervals; ``reboots[device]`` are times of a sysUpTime reset.
The bit rate of each poll interval is a deterministic function of (link, poll index), a
multiple of 4 bit/s so counters stay whole octets; ``rate()`` gives it back for hand checks.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from provnet.pollers.linkstatus import LinkStatusTracker
from provnet.pollers.rates import compute_rates
from provnet.pollers.rollup import RollupAggregator
from provnet.pollers.samples import result_points
from provnet.pollers.types import IfSample, PollResult, SnmpTarget
from provnet.tsdb.points import Point

Interval = tuple[float, float]


def rate(link: int, i: int, direction: str) -> int:
    """The generated bit rate of link ``link`` over poll interval ``i`` (ending at sample i)."""
    salt = 104729 if direction == "in" else 15485863
    return 4 * ((i * 7919 + link * salt) % 250_000)


def inside(t: float, spans: Sequence[Interval]) -> bool:
    """True when ``t`` is in one of the ``[start, end)`` spans."""
    return any(a <= t < b for a, b in spans)


@dataclass
class Backfill:
    """The generated history."""

    links: Sequence[tuple[int, str, str | None]]  # (link id, A device hostname, commune)
    start: int
    end: int
    poll_s: int = 150
    down: Mapping[int, Sequence[Interval]] = field(default_factory=dict)
    gaps: Mapping[str, Sequence[Interval]] = field(default_factory=dict)
    reboots: Mapping[str, Sequence[float]] = field(default_factory=dict)
    district: str = "891"

    def polls(self) -> int:
        """Polls per device over [start, end)."""
        return (self.end - self.start) // self.poll_s

    def up(self, link: int, t: float) -> bool:
        """The generated status of a link at ``t``."""
        return not inside(t, self.down.get(link, ()))

    def run(self, sink: Callable[[list[Point]], None], chunk: int = 20_000) -> int:
        """Generate every poll and hand the points to ``sink`` in chunks; points generated."""
        devices: dict[str, list[tuple[int, str | None]]] = {}
        for link, dev, commune in self.links:
            devices.setdefault(dev, []).append((link, commune))
        octets: dict[tuple[int, str], int] = {}
        prev: dict[int, tuple[IfSample, float, int]] = {}
        boot = {d: float(self.start - 86400) for d in devices}
        tracker = LinkStatusTracker()
        buf: list[Point] = []
        total = 0
        for i in range(self.polls()):
            t = self.start + i * self.poll_s
            statuses: dict[int, tuple[str, str]] = {}
            tags: dict[int, dict[str, str]] = {}
            for dev, ends in devices.items():
                if inside(t, self.gaps.get(dev, ())):
                    for link, _ in ends:
                        statuses[link] = ("unknown", "no_fresh_data")
                    continue
                if any(t <= r < t + self.poll_s for r in self.reboots.get(dev, ())):
                    boot[dev] = float(t) - 1
                uptime = int((t - boot[dev]) * 100)
                samples: dict[int, IfSample] = {}
                rates = {}
                for link, commune in ends:
                    up = self.up(link, t)
                    for d in ("in", "out"):
                        octets[(link, d)] = octets.get((link, d), 0) + (
                            rate(link, i, d) * self.poll_s // 8 if up else 0)
                    s = IfSample(link, f"ge{link}", 1 if up else 2, 1, octets[(link, "in")],
                                 octets[(link, "out")], 0, 0, 0, 0, 1000)
                    samples[link] = s
                    p = prev.get(link)
                    rates[link] = compute_rates(p[0] if p else None, p[1] if p else None,
                                                p[2] if p else None, s, float(t), uptime)
                    prev[link] = (s, float(t), uptime)
                    statuses[link] = ("up", "up") if up else ("down", "down_a")
                    tags[link] = {"district": self.district,
                                  **({"commune": commune} if commune else {})}
                target = SnmpTarget(0, dev, "127.0.0.1")
                result = PollResult(target, float(t), 0.01, uptime, samples, 4 * len(samples))
                dev_tags = {"device": dev, "site": f"S-{dev}", "role": "router",
                            "district": self.district}
                if_tags = {lk: {"link": str(lk), "end": "a"} for lk, _ in ends}
                buf.extend(result_points(result, rates, dev_tags, if_tags))
            link_samples, changes = tracker.observe(statuses, tags, t * 10**9)
            buf.extend(link_samples)
            buf.extend(changes)
            if len(buf) >= chunk:
                sink(buf)
                total += len(buf)
                buf = []
        if buf:
            sink(buf)
            total += len(buf)
        return total


def split_status(points: list[Point]) -> tuple[list[Point], list[Point]]:
    """(raw samples, link_status changes): changes are kept with the 1-hour rollups."""
    raw = [p for p in points if p.measurement != "link_status"]
    return raw, [p for p in points if p.measurement == "link_status"]


def aggregate(agg: RollupAggregator) -> Callable[[list[Point]], None]:
    """A sink feeding the aggregator (what the service's point tap does)."""
    return agg.add_points

"""Link status as points (pure): a ``link_state`` sample per link per cycle (rolled up into
the availability figures) and a ``link_status`` point whenever a link's status changes (the
status timeline)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from provnet.tsdb.measurements import LINK_STATE, LINK_STATUS
from provnet.tsdb.points import Point


@dataclass
class LinkStatusTracker:
    """Remembers each link's last status; ``observe`` returns the points of one cycle."""

    last: dict[int, str] = field(default_factory=dict)

    def observe(self, statuses: Mapping[int, tuple[str, str]], tags: Mapping[int, dict[str, str]],
                time_ns: int) -> tuple[list[Point], list[Point]]:
        """``statuses``: link -> (up|down|unknown, reason code). Returns (samples, changes):
        one ``link_state`` sample (``up`` 1/0; none while unknown: no data) per link and one
        ``link_status`` point per link whose status differs from the previous cycle."""
        samples: list[Point] = []
        changes: list[Point] = []
        for link, (status, reason) in sorted(statuses.items()):
            t = {"link": str(link), **tags.get(link, {})}
            if status in ("up", "down"):
                samples.append(Point(LINK_STATE, {"up": 1 if status == "up" else 0}, t, time_ns))
            if self.last.get(link) != status:
                changes.append(Point(LINK_STATUS, {"status": status, "reason": reason},
                                     {"link": str(link)}, time_ns))
                self.last[link] = status
        return samples, changes

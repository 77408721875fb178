"""Availability and SLA figures from rolled-up link state (pure).

Input per link and slot (a 5-minute or 1-hour rollup bucket): the fraction of polls that saw
the link up (``up_mean`` of the ``link_state`` rollups), or nothing (no data: provnet, the
store or both ends were away). Each slot of an entity lands in exactly one bucket of time:

* **no data**: no sample; never counted as up, and out of both denominators;
* **maintenance**: a maintenance window covering the entity was active; its up and down parts
  are kept (``maint_up_s``/``maint_down_s``) for "as experienced";
* otherwise **up** and **down** by the fraction.

"As experienced" = (up + up in maintenance) / (period - no data); "excluding maintenance" =
up / (period - no data - maintenance). An incident is a run of slots with downtime outside
maintenance; MTTR = downtime / incidents, MTBF = uptime / incidents.

A commune is up while at least one path from one of its devices to the core is up (the
paths of ``Topology.paths_to_core``, at most 64 per device). Inside a
slot, each link's downtime is taken as one block from the slot start (outages of the two
uplinks of a dual-homed commune are assumed to overlap: the commune's downtime is never
under-stated); whole-slot outages, the common case, are exact.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass

from provnet.inventory.topology import Topology

LinkFractions = Mapping[int, float]  # slot start -> fraction of polls that saw it up


@dataclass(frozen=True, slots=True)
class Slot:
    """One slot of one entity: seconds up, down and without data; in maintenance or not."""

    start: int
    up_s: float
    down_s: float
    nodata_s: float
    maintenance: bool = False


@dataclass
class Tally:
    """An entity's figures over a period (seconds; entity-seconds for aggregates)."""

    period_s: float = 0.0
    up_s: float = 0.0
    down_s: float = 0.0
    nodata_s: float = 0.0
    maintenance_s: float = 0.0
    maint_up_s: float = 0.0
    maint_down_s: float = 0.0
    incidents: int = 0
    entities: int = 1

    def add(self, slot: Slot, prev_down: bool) -> bool:
        """Account one slot; returns whether it had downtime outside maintenance."""
        self.period_s += slot.up_s + slot.down_s + slot.nodata_s
        self.nodata_s += slot.nodata_s
        if slot.maintenance:
            self.maintenance_s += slot.up_s + slot.down_s
            self.maint_up_s += slot.up_s
            self.maint_down_s += slot.down_s
            return prev_down  # a run of downtime continues through maintenance uncounted
        self.up_s += slot.up_s
        self.down_s += slot.down_s
        down = slot.down_s > 0
        if down and not prev_down:
            self.incidents += 1
        return down

    @property
    def experienced(self) -> float | None:
        """(up + up in maintenance) / (period - no data)."""
        den = self.period_s - self.nodata_s
        return (self.up_s + self.maint_up_s) / den if den > 0 else None

    @property
    def excluding_maintenance(self) -> float | None:
        """up / (period - no data - maintenance)."""
        den = self.period_s - self.nodata_s - self.maintenance_s
        return self.up_s / den if den > 0 else None

    @property
    def mttr_s(self) -> float | None:
        """Mean time to repair: downtime outside maintenance per incident."""
        return self.down_s / self.incidents if self.incidents else None

    @property
    def mtbf_s(self) -> float | None:
        """Mean time between failures: uptime outside maintenance per incident."""
        return self.up_s / self.incidents if self.incidents else None

    def merge(self, other: Tally) -> None:
        """Add another entity's figures (district and province totals)."""
        for name in ("period_s", "up_s", "down_s", "nodata_s", "maintenance_s", "maint_up_s",
                     "maint_down_s"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.incidents += other.incidents

    def as_dict(self, unit: str) -> dict[str, object]:
        """JSON figures, with the denominators stated in words."""
        return {
            "period_s": self.period_s, "up_s": self.up_s, "down_s": self.down_s,
            "maintenance_s": self.maintenance_s, "maintenance_up_s": self.maint_up_s,
            "maintenance_down_s": self.maint_down_s, "no_data_s": self.nodata_s,
            "availability_experienced": self.experienced,
            "availability_excluding_maintenance": self.excluding_maintenance,
            "denominator_experienced": f"{unit} in the period minus {unit} without data",
            "denominator_excluding_maintenance":
                f"{unit} in the period minus {unit} without data and in maintenance",
            "incidents": self.incidents, "mttr_s": self.mttr_s, "mtbf_s": self.mtbf_s,
            "entities": self.entities,
        }


def slot_starts(start: int, end: int, width: int) -> list[int]:
    """Starts of the slots covering [start, end)."""
    first = start - start % width
    return list(range(first, end, width))


def _span(s: int, width: int, start: int, end: int) -> float:
    return float(min(end, s + width) - max(start, s))


def link_slots(fractions: LinkFractions, in_maintenance: Callable[[int], bool], start: int,
               end: int, width: int, only: Sequence[int] | None = None) -> list[Slot]:
    """One link's slots over [start, end) (only the sorted slot starts ``only`` if given)."""
    out: list[Slot] = []
    for s in slot_starts(start, end, width) if only is None else only:
        span = _span(s, width, start, end)
        f = fractions.get(s)
        if f is None:
            out.append(Slot(s, 0.0, 0.0, span, in_maintenance(s)))
        else:
            f = min(1.0, max(0.0, f))
            out.append(Slot(s, span * f, span * (1 - f), 0.0, in_maintenance(s)))
    return out


def _cut_off(paths: Sequence[frozenset[int]], failed: Collection[int]) -> bool:
    """True when every path to the core has a failed link."""
    if not failed:
        return False
    dead = set(failed)
    return all(not p.isdisjoint(dead) for p in paths)


def _down_share(paths: Sequence[frozenset[int]], down: Mapping[int, float]) -> float:
    """Share of the slot the devices are cut off, each link down on [0, down[l])."""
    share, lo = 0.0, 0.0
    # on [lo, hi) between two thresholds the failed set is {l: down[l] > lo}
    for hi in sorted({d for d in down.values() if d > 0}):
        if _cut_off(paths, [lk for lk, d in down.items() if d > lo]):
            share += hi - lo
        lo = hi
    return min(1.0, share)


def commune_slots(topo: Topology, devices: Collection[int], links: Sequence[int],
                  fractions: Mapping[int, LinkFractions],
                  in_maintenance: Callable[[int], bool], start: int, end: int,
                  width: int, only: Sequence[int] | None = None) -> list[Slot]:
    """A commune's slots: up while one of ``devices`` reaches the core over up links.

    ``links`` are the links on its paths to the core; a link without data in a slot counts as
    down for "no data" and as up for "down" (so missing data is never counted as up nor down).
    """
    paths = [frozenset(p.links) for d in devices for p in topo.paths_to_core(d)]
    per_link = [(lk, fractions.get(lk, {})) for lk in links]
    # the same links down/missing give the same shares: on a young installation most slots of
    # a month miss every link, so the path arithmetic runs once instead of once per slot
    shares: dict[tuple[tuple[tuple[int, float], ...], tuple[int, ...]], tuple[float, float]] = {}
    out: list[Slot] = []
    for s in slot_starts(start, end, width) if only is None else only:
        span = _span(s, width, start, end)
        down: dict[int, float] = {}
        missing: list[int] = []
        for lk, fr in per_link:
            f = fr.get(s)
            if f is None:
                missing.append(lk)
            elif f < 1.0:
                down[lk] = 1.0 - max(0.0, f)
        key = (tuple(down.items()), tuple(missing))
        got = shares.get(key)
        if got is None:
            d_known = _down_share(paths, down)  # missing links taken as up
            d_worst = _down_share(paths, {**down, **dict.fromkeys(missing, 1.0)}) \
                if missing else d_known
            got = shares[key] = (d_known, d_worst)
        d_known, d_worst = got
        nodata = max(0.0, d_worst - d_known)
        out.append(Slot(s, span * (1 - d_worst), span * d_known, span * nodata,
                        in_maintenance(s)))
    return out


def tally(slots: Sequence[Slot], frame: tuple[int, int, int] | None = None) -> Tally:
    """Figures of one entity from its slots (in time order). With ``frame`` = (start, end,
    width), ``slots`` may hold only the slots that are not simply up: every other slot of the
    frame is counted as up (the sparse form the reports use: most slots are up)."""
    t = Tally()
    prev = False
    prev_start: int | None = None
    for slot in slots:
        if frame is not None and prev_start is not None and slot.start - prev_start > frame[2]:
            prev = False  # an up slot lay in between: a new run of downtime
        prev = t.add(slot, prev)
        prev_start = slot.start
    if frame is not None:
        rest = (frame[1] - frame[0]) - t.period_s
        t.period_s += rest
        t.up_s += rest
    return t


class SparseFractions(dict[int, float]):
    """Slot -> share up, where a slot not stored is fully up and ``missing`` slots have no
    data (``get`` gives None): what the reports read from InfluxDB."""

    def __init__(self, special: Mapping[int, float], missing: Collection[int]) -> None:
        super().__init__(special)
        self.missing = set(missing)

    def get(self, key: int, default: float | None = 1.0) -> float | None:  # type: ignore[override]
        """None for a slot without data, the stored share, else 1.0 (up)."""
        if key in self.missing:
            return None
        return super().get(key, default)

    def special(self) -> set[int]:
        """Slots that are not simply up."""
        return set(self) | self.missing


def total(tallies: Sequence[Tally]) -> Tally:
    """Sum of entities' figures (entity-seconds)."""
    t = Tally(entities=0)
    for x in tallies:
        t.merge(x)
        t.entities += x.entities
    return t

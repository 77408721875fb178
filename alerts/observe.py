"""Adapter: the poller's fresh results -> :class:`~alerts.engine.Observation` batches.

Per device: ``device.reachable`` (0 on timeout / no route) and ``poll.ok`` (0 when the device
answers but the poll fails), told apart by the poller's typed ``PollResult.error_kind``, never
by the error text. Per interface: ``if.util_pct``, ``if.errors_ps``,
``if.discards_ps``. Per link, once per cycle from every end polled in it: ``link.up`` (0 when
any admin-up end is oper-down). Other collectors (optics, ICMP, BTS) hand in observations
by metric name through :meth:`CycleCollector.add`. A linkDown trap becomes a one-off
``link.up`` = 0 event (:func:`trap_observations`), evaluated at once; the next poll confirms it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from provnet.alerts.engine import Observation
from provnet.pollers.types import IfRates, PollResult

OPER_UP, ADMIN_UP = 1, 1
#: ``PollResult.error_kind`` values (see ``ERROR_KINDS``) meaning the device gave no answer
NO_ANSWER_KINDS = frozenset({"timeout", "unreachable"})


@dataclass(frozen=True, slots=True)
class LinkEnd:
    """Where a polled interface sits on a link."""

    link_id: int
    end: str  # "a" | "z"


def is_unreachable(error_kind: str | None) -> bool:
    """True for failures meaning "no answer" (timeout, no route), as opposed to a device
    answering badly (auth, protocol) or a poller fault (internal). An unclassified failure
    (None) is not taken for a dead device: a wrong "unreachable" would make it a root and
    suppress the alerts of everything behind it."""
    return error_kind in NO_ANSWER_KINDS


def device_observations(result: PollResult, labels: Mapping[str, str]) -> list[Observation]:
    """``device.reachable`` and ``poll.ok`` of one poll."""
    ent, t = f"device:{result.target.device_id}", result.started
    if result.ok:
        return [Observation(ent, "device.reachable", 1.0, t, labels),
                Observation(ent, "poll.ok", 1.0, t, labels)]
    if is_unreachable(result.error_kind):
        return [Observation(ent, "device.reachable", 0.0, t, labels)]
    return [Observation(ent, "device.reachable", 1.0, t, labels),
            Observation(ent, "poll.ok", 0.0, t, labels)]


def _max(*vals: float | None) -> float | None:
    present = [v for v in vals if v is not None]
    return max(present) if present else None


def _sum(*vals: float | None) -> float | None:
    present = [v for v in vals if v is not None]
    return sum(present) if present else None


def interface_observations(
    result: PollResult, rates: Mapping[int, IfRates], labels: Mapping[str, str],
    links: Mapping[int, LinkEnd],
) -> list[Observation]:
    """Utilisation, error and discard rates of every interface with a valid rate."""
    out: list[Observation] = []
    dev, t = result.target.device_id, result.started
    for idx, r in sorted(rates.items()):
        lab = dict(labels, ifindex=str(idx))
        sample = result.interfaces.get(idx)
        if sample is not None and sample.name:
            lab["ifname"] = sample.name
        if idx in links:
            lab["link"] = str(links[idx].link_id)
        ent = f"if:{dev}:{idx}"
        for metric, value in (("if.util_pct", _max(r.in_util_pct, r.out_util_pct)),
                              ("if.errors_ps", _sum(r.in_errors_ps, r.out_errors_ps)),
                              ("if.discards_ps", _sum(r.in_discards_ps, r.out_discards_ps))):
            if value is not None:
                out.append(Observation(ent, metric, value, t, lab))
    return out


def link_end_states(result: PollResult, links: Mapping[int, LinkEnd]) -> dict[int, bool]:
    """link id -> oper up, for every admin-up link interface of a successful poll."""
    ends: dict[int, bool] = {}
    if not result.ok:
        return ends
    for idx, end in links.items():
        s = result.interfaces.get(idx)
        if s is None or s.oper_status is None or s.admin_status not in (None, ADMIN_UP):
            continue
        ends[end.link_id] = ends.get(end.link_id, True) and s.oper_status == OPER_UP
    return ends


class CycleCollector:
    """Accumulates one cycle's observations; :meth:`flush` hands the batch over.

    ``device_labels``: device id -> labels (device, site, district, commune, role);
    ``link_ends``: device id -> ifindex -> :class:`LinkEnd`; ``link_labels``: link id -> labels.
    """

    def __init__(self, device_labels: Mapping[int, Mapping[str, str]],
                 link_ends: Mapping[int, Mapping[int, LinkEnd]],
                 link_labels: Mapping[int, Mapping[str, str]]) -> None:
        self.device_labels = device_labels
        self.link_ends = link_ends
        self.link_labels = link_labels
        self._batch: list[Observation] = []
        self._links: dict[int, tuple[bool, float]] = {}

    def on_result(self, result: PollResult, rates: Mapping[int, IfRates]) -> None:
        """One device's poll has ended: derive its observations."""
        dev = result.target.device_id
        labels = self.device_labels.get(dev, {"device": result.target.name,
                                              "device_id": str(dev)})
        ends = self.link_ends.get(dev, {})
        self._batch.extend(device_observations(result, labels))
        self._batch.extend(interface_observations(result, rates, labels, ends))
        for link, up in link_end_states(result, ends).items():
            prev = self._links.get(link)
            self._links[link] = ((prev[0] if prev else True) and up, result.started)

    def add(self, observations: Iterable[Observation]) -> None:
        """Observations from other collectors (``optic.rx_dbm``, ``icmp.rtt_ms``, ...)."""
        self._batch.extend(observations)

    def flush(self) -> list[Observation]:
        """The cycle's batch, with one ``link.up`` per link seen; resets the collector."""
        batch = self._batch
        for link, (up, t) in sorted(self._links.items()):
            batch.append(Observation(f"link:{link}", "link.up", 1.0 if up else 0.0, t,
                                     self.link_labels.get(link, {"link": str(link)})))
        self._batch, self._links = [], {}
        return batch



def trap_observations(
    device_id: int, ifindex: int, up: bool, at: float,
    link_ends: Mapping[int, Mapping[int, LinkEnd]],
    link_labels: Mapping[int, Mapping[str, str]], admin_status: int | None = None,
) -> list[Observation]:
    """The ``link.up`` = 0 event of a linkDown trap from (device, ifindex).

    Down at one end is the link down. A linkUp trap gives nothing: recovery is left to the
    next poll, which sees the link and the devices behind it come back in the same batch (a
    link seen up while the devices it cut off are still marked unreachable would make one of
    them look like a new root). Interfaces on no link, or shut down (admin down, as the poll
    adapter ignores them), give nothing.
    """
    end = link_ends.get(device_id, {}).get(ifindex)
    if up or end is None or admin_status not in (None, ADMIN_UP):
        return []
    labels = link_labels.get(end.link_id, {"link": str(end.link_id)})
    return [Observation(f"link:{end.link_id}", "link.up", 0.0, at, labels)]

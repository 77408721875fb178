"""Adapters: optics (SNMP and SSH), ICMP probes -> :class:`~alerts.engine.Observation`.

Metric names are those of ``config/alerts/default.yaml``: ``optic.rx_dbm`` (optic_rx_low,
optic_rx_falling), ``icmp.rtt_ms`` (latency_high), ``icmp.loss_pct`` (packet_loss). Entities:
``optic:<device>:<port>`` (the port name when known, else the ifindex, else the sensor
index) and ``icmp:<device>``; labels are the device's, plus the port's ifindex/ifname and its
link when the port is a link end (so an optic alert groups under the link's incident).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Protocol

from provnet.alerts.engine import Observation
from provnet.alerts.observe import LinkEnd
from provnet.pollers.readings import IcmpReading, OpticReading


class OpticLike(Protocol):
    """What both optic readings (SNMP :class:`OpticReading`, SSH's) offer."""

    @property
    def name(self) -> str | None:
        """Port name."""
        ...

    @property
    def rx_dbm(self) -> float | None:
        """Received optical power, dBm."""
        ...


def _port(r: OpticLike) -> tuple[str, int | None, str | None]:
    """(entity suffix, ifindex, sensor index) of one reading."""
    ifindex = r.ifindex if isinstance(r, OpticReading) else None
    sensor = r.index if isinstance(r, OpticReading) else None
    if r.name:
        return r.name, ifindex, sensor
    if ifindex is not None:
        return f"if{ifindex}", ifindex, sensor
    return f"sensor{sensor}", ifindex, sensor


def optic_observations(device_id: int, readings: Iterable[OpticLike], t: float,
                       labels: Mapping[str, str],
                       links: Mapping[int, LinkEnd] | None = None) -> list[Observation]:
    """``optic.rx_dbm`` of every reading with a received level.

    ``links``: the device's ifindex -> link end (SSH readings carry only the port name, so
    they get no link label).
    """
    out: list[Observation] = []
    for r in readings:
        if r.rx_dbm is None:
            continue
        key, ifindex, sensor = _port(r)
        lab = dict(labels)
        if r.name:
            lab["ifname"] = r.name
        if sensor is not None:
            lab["sensor"] = sensor
        if ifindex is not None:
            lab["ifindex"] = str(ifindex)
            if links and ifindex in links:
                lab["link"] = str(links[ifindex].link_id)
        out.append(Observation(f"optic:{device_id}:{key}", "optic.rx_dbm", float(r.rx_dbm), t,
                               lab))
    return out


def icmp_observations(device_id: int, reading: IcmpReading, t: float,
                      labels: Mapping[str, str]) -> list[Observation]:
    """``icmp.loss_pct`` of a probe and, when any echo came back, ``icmp.rtt_ms`` (average)."""
    ent, lab = f"icmp:{device_id}", dict(labels, address=reading.address)
    out = [Observation(ent, "icmp.loss_pct", float(reading.loss_pct), t, lab)]
    if reading.answered and reading.rtt_avg_ms is not None:
        out.append(Observation(ent, "icmp.rtt_ms", float(reading.rtt_avg_ms), t, lab))
    return out

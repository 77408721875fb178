"""Which transceiver reading belongs to a link end, and what a page shows of it (pure).

A reading is matched by ``ifindex`` when the poller mapped one, else by the interface name
(short and full forms, ``Gi0/1`` = ``GigabitEthernet0/1``). The ``ifname`` tag of the
``optics`` points is :func:`~provnet.pollers.readings.optic_port` of the same reading, so the
history of the matched port is read with that tag.
"""

from __future__ import annotations

from collections.abc import Sequence

from provnet.pollers.readings import OpticReading, expand_ifname, optic_port

#: what a page shows of a reading (all in dBm; ``None`` where the transceiver gave nothing)
FIELDS = ("rx_dbm", "tx_dbm", "rx_low_dbm", "rx_high_dbm", "tx_low_dbm", "tx_high_dbm")


def reading_for(optics: Sequence[OpticReading], ifindex: int | None,
                ifname: str | None) -> OpticReading | None:
    """The reading of the port ``ifindex``/``ifname``, or ``None`` when none matches."""
    if ifindex is not None and ifindex > 0:
        for r in optics:
            if r.ifindex == ifindex:
                return r
    if ifname:
        want = expand_ifname(ifname.strip())
        for r in optics:
            if r.name and expand_ifname(r.name.strip()) == want:
                return r
    return None


def port_tag(reading: OpticReading | None, ifindex: int | None, ifname: str | None) -> str:
    """The ``ifname`` tag the port's ``optics`` points carry."""
    if reading is not None:
        return optic_port(reading.name, reading.ifindex, reading.index)
    return optic_port(ifname, ifindex if ifindex and ifindex > 0 else None)


def reading_view(r: OpticReading | None) -> dict[str, float | None] | None:
    """The reading's levels and thresholds as a plain mapping (``None`` without a reading)."""
    if r is None:
        return None
    return {f: getattr(r, f) for f in FIELDS}

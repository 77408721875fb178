"""SSH results -> tsdb points (pure). ``optics`` points have the SNMP path's tag set and
field names (one series per port whoever read it: see :mod:`pollers.readings`), with
``source="ssh"``; also ``ifstate``, ``ssh_poll`` and ``config_change``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from provnet.pollers.readings import optic_port, optic_tags
from provnet.pollers.ssh.types import IfState, OpticReading, SshResult
from provnet.tsdb.measurements import CONFIG_CHANGE, IFSTATE, OPTICS, SSH_POLL
from provnet.tsdb.points import FieldValue, Point


def _ns(t: float) -> int:
    return round(t * 1_000_000) * 1000


def optic_points(readings: Sequence[OpticReading], tags: Mapping[str, str], t: float
                 ) -> list[Point]:
    """One ``optics`` point per port with at least one value (absent modules are skipped).

    Tags: ``tags`` (the device's) + ``ifname`` (:func:`~pollers.readings.optic_port`).
    """
    out = []
    for r in readings:
        fields: dict[str, FieldValue] = {
            k: v for k in ("rx_dbm", "tx_dbm", "rx_low_dbm", "rx_high_dbm", "tx_low_dbm",
                           "tx_high_dbm", "bias_ma", "temperature_c", "voltage_v")
            if (v := getattr(r, k)) is not None}
        if fields:
            fields["source"] = "ssh"
            if r.ifindex is not None:
                fields["ifindex"] = r.ifindex
            out.append(Point(OPTICS, fields, optic_tags(tags, optic_port(r.name, r.ifindex)),
                             _ns(t)))
    return out


def ifstate_points(states: Sequence[IfState], tags: Mapping[str, str], t: float) -> list[Point]:
    """One ``ifstate`` point per interface: link/protocol up and error counters."""
    out = []
    for s in states:
        fields: dict[str, FieldValue] = {"link_up": s.link_up, "protocol_up": s.protocol_up}
        for k in ("in_errors", "crc_errors", "out_errors"):
            v = getattr(s, k)
            if v is not None:
                fields[k] = v
        out.append(Point(IFSTATE, fields, {**tags, "ifname": s.name}, _ns(t)))
    return out


def session_point(result: SshResult, tags: Mapping[str, str], purpose: str) -> Point:
    """The ``ssh_poll`` point of one session: outcome, duration, error kind."""
    fields: dict[str, FieldValue] = {"ok": result.ok, "duration_ms": result.duration_s * 1000}
    if result.error is not None:
        fields["error"] = result.error
        fields["error_kind"] = result.error_kind or "error"
    return Point(SSH_POLL, fields, {**tags, "purpose": purpose}, _ns(result.started))


def config_change_point(tags: Mapping[str, str], t: float, version_id: int, added: int,
                        removed: int, sha256: str) -> Point:
    """A ``config_change`` event: the stored configuration of a device changed at ``t``."""
    return Point(CONFIG_CHANGE, {"version_id": version_id, "lines_added": added,
                                 "lines_removed": removed, "sha256": sha256},
                 dict(tags), _ns(t))

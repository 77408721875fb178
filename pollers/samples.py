"""Turn poll results and computed rates into tsdb points (pure)."""

from __future__ import annotations

from collections.abc import Mapping

from provnet.pollers.types import IfRates, IfSample, PollResult
from provnet.tsdb.measurements import IFSTATS, SNMP_POLL
from provnet.tsdb.points import FieldValue, Point

#: InfluxDB integers are signed 64-bit; a larger counter value cannot be written as an int.
INT64_MAX = 2**63 - 1

_COUNTER_FIELDS: tuple[tuple[str, str], ...] = (
    ("in_octets", "in_octets"),
    ("out_octets", "out_octets"),
    ("in_errors", "in_errors"),
    ("out_errors", "out_errors"),
    ("in_discards", "in_discards"),
    ("out_discards", "out_discards"),
    ("oper_status", "oper_status"),
    ("admin_status", "admin_status"),
    ("high_speed_mbps", "speed_mbps"),
)
_RATE_FIELDS: tuple[str, ...] = (
    "in_bps",
    "out_bps",
    "in_util_pct",
    "out_util_pct",
    "in_errors_ps",
    "out_errors_ps",
    "in_discards_ps",
    "out_discards_ps",
)


def _time_ns(result: PollResult) -> int:
    # a float epoch holds ~0.2 us: round to whole microseconds, not to noise in the ns digits
    return round(result.started * 1_000_000) * 1000


def interface_fields(sample: IfSample, rates: IfRates | None) -> dict[str, FieldValue]:
    """Field set of one interface: raw ints, rates as floats, flags only when raised."""
    fields: dict[str, FieldValue] = {}
    for attr, name in _COUNTER_FIELDS:
        value = getattr(sample, attr)
        if value is not None and 0 <= value <= INT64_MAX:
            fields[name] = int(value)
    if rates is not None:
        for name in _RATE_FIELDS:
            rate = getattr(rates, name)
            if rate is not None:
                fields[name] = float(rate)
        if rates.reset:
            fields["counter_reset"] = True
        if rates.rejected:
            fields["rate_rejected"] = True
    return fields


def interface_points(
    result: PollResult,
    rates: Mapping[int, IfRates],
    device_tags: Mapping[str, str],
    if_tags: Mapping[int, Mapping[str, str]],
) -> list[Point]:
    """One ``ifstats`` point per interface of ``result`` (none for a failed poll).

    Tags: ``device_tags`` + ``ifindex`` + ``if_tags[ifindex]`` (the per-interface tags win on
    a clash). Interfaces without any value are skipped (a point needs at least one field).
    """
    if not result.ok:
        return []
    time_ns = _time_ns(result)
    points: list[Point] = []
    for ifindex in sorted(result.interfaces):
        fields = interface_fields(result.interfaces[ifindex], rates.get(ifindex))
        if not fields:
            continue
        tags = dict(device_tags)
        tags["ifindex"] = str(ifindex)
        extra = if_tags.get(ifindex)
        if extra:
            tags.update(extra)
        points.append(Point(IFSTATS, fields, tags, time_ns))
    return points


def poll_point(result: PollResult, device_tags: Mapping[str, str]) -> Point:
    """The ``snmp_poll`` point of one device poll: timing, outcome and size."""
    fields: dict[str, FieldValue] = {
        "duration_ms": result.duration_s * 1000.0,
        "ok": result.ok,
        "varbinds": result.varbinds,
        "interfaces": len(result.interfaces),
    }
    if result.error is not None:
        fields["error"] = result.error
    if result.error_kind is not None:
        fields["error_kind"] = result.error_kind  # timeout | auth | protocol | unreachable...
    if result.discovered is not None:
        fields["discovered"] = result.discovered  # why the interface table was walked
    if result.warnings:
        fields["warnings"] = "; ".join(result.warnings)
    return Point(SNMP_POLL, fields, dict(device_tags), _time_ns(result))


def result_points(result: PollResult, rates: Mapping[int, IfRates],
                  device_tags: Mapping[str, str],
                  if_tags: Mapping[int, Mapping[str, str]]) -> list[Point]:
    """Every point of one device poll: ``ifstats``, readings (optics, health), ``snmp_poll``."""
    from provnet.pollers.readings import reading_points

    points = interface_points(result, rates, device_tags, if_tags)
    if result.readings:
        points.extend(reading_points(result.readings, device_tags, _time_ns(result)))
    points.append(poll_point(result, device_tags))
    return points

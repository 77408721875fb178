"""The one sample type every producer hands to the tsdb package."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

FieldValue = float | int | str | bool


@dataclass(frozen=True, slots=True)
class Point:
    """One InfluxDB point. Tags are stable codes; names go in fields or the inventory."""

    measurement: str
    fields: Mapping[str, FieldValue]
    tags: Mapping[str, str] = field(default_factory=dict)
    time_ns: int | None = None

"""Fault specs: ``SITE:ACTION@SECONDS`` as given on the command line.

``link-down``/``link-up`` act on the site's uplinks (links whose downstream end is at the
site); ``device-down``/``device-up``/``reboot`` act on every device of the site. Seconds
count from the moment all agents are listening; ``30``, ``30s``, ``1.5``, ``2m`` are valid.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

LINK_ACTIONS = ("link-down", "link-up")
DEVICE_ACTIONS = ("device-down", "device-up", "reboot")
ACTIONS = LINK_ACTIONS + DEVICE_ACTIONS
SPEC_FORMAT = "SITE:ACTION@SECONDS, e.g. CORE-AG:link-down@30"


@dataclass(frozen=True, slots=True)
class Fault:
    """One scheduled fault."""

    site: str
    action: str
    at_s: float = 0.0

    def __str__(self) -> str:
        return f"{self.site}:{self.action}@{self.at_s:g}"


def check_action(action: str) -> str:
    """Return ``action`` if known, else ValueError listing the valid ones."""
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r} (expected one of {', '.join(ACTIONS)})")
    return action


def parse_seconds(text: str) -> float:
    """``30``, ``30s``, ``1.5``, ``2m`` -> seconds (ValueError when bad or negative)."""
    raw = text.strip().lower()
    scale = 1.0
    if raw.endswith("ms"):
        raw, scale = raw[:-2], 0.001
    elif raw.endswith("s"):
        raw = raw[:-1]
    elif raw.endswith("m"):
        raw, scale = raw[:-1], 60.0
    try:
        value = float(raw) * scale
    except ValueError:
        raise ValueError(f"bad time {text!r} (expected seconds like 30, 1.5, 30s or 2m)") from None
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"bad time {text!r} (must be a finite number >= 0)")
    return value


def parse_fault(spec: str) -> Fault:
    """Parse ``SITE:ACTION@SECONDS``; ValueError naming the bad part."""
    body, at, when = spec.rpartition("@")
    if not at:
        raise ValueError(f"fault {spec!r}: missing '@SECONDS' (expected {SPEC_FORMAT})")
    site, colon, action = body.rpartition(":")
    if not colon:
        raise ValueError(f"fault {spec!r}: missing ':ACTION' (expected {SPEC_FORMAT})")
    site = site.strip()
    if not site:
        raise ValueError(f"fault {spec!r}: empty site (expected {SPEC_FORMAT})")
    try:
        return Fault(site, check_action(action.strip().lower()), parse_seconds(when))
    except ValueError as exc:
        raise ValueError(f"fault {spec!r}: {exc}") from None

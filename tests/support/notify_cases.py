"""The recorded notification cases (``tests/data/notify/<case>/input.json``) for tests."""

from __future__ import annotations

import json
from pathlib import Path

from provnet.alerts.notify.codec import from_dict
from provnet.alerts.notify.types import Notification

DATA = Path(__file__).parents[1] / "data" / "notify"


def case(name: str) -> Notification:
    """The notification of case ``name``."""
    raw = json.loads((DATA / name / "input.json").read_text(encoding="utf-8"))
    return from_dict(raw["notification"])

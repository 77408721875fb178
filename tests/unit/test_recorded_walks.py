"""Every recorded walk under tests/data/snmp/<case>/ parses to its expected readings.

A case is ``walk.txt`` (``snmpwalk -On`` output of the group's OIDs) and ``expected.json``
(``{"group": <group name>, "readings": [{"kind": "OpticReading", ...}, ...]}``).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest

from provnet.pollers.groups import Group, group_data, load_groups, parse_group
from provnet.pollers.readings import Reading
from tests.support.snmpwalk import read_walk

ROOT = Path(__file__).resolve().parents[2]
CASES_DIR = ROOT / "tests" / "data" / "snmp"
GROUPS = load_groups(ROOT / "config" / "profiles" / "groups")
CASES = sorted(p.name for p in CASES_DIR.iterdir() if (p / "expected.json").is_file())


def _same(actual: Any, expected: Any) -> bool:
    if isinstance(expected, float) or isinstance(actual, float):
        return (
            isinstance(actual, int | float)
            and isinstance(expected, int | float)
            and math.isclose(actual, expected, rel_tol=1e-9, abs_tol=1e-6)
        )
    return bool(actual == expected)


def test_there_are_cases_for_every_parser_family() -> None:
    groups = {json.loads((CASES_DIR / c / "expected.json").read_text())["group"] for c in CASES}
    assert {"optics_huawei", "optics_cisco", "optics_entity", "optics_zte"} <= groups
    assert {"health_host", "health_ucd", "health_huawei", "health_cisco"} <= groups


def readings_match(case: str, readings: Sequence[Reading], expected: list[dict[str, Any]]) -> None:
    """Assert ``readings`` equal the expected JSON dicts (floats to 1e-6)."""
    got = [{"kind": type(r).__name__, **asdict(r)} for r in readings]
    assert len(got) == len(expected), got
    for actual, want in zip(got, expected, strict=True):
        assert actual.keys() == want.keys()
        diffs = {k: (actual[k], want[k]) for k in want if not _same(actual[k], want[k])}
        assert not diffs, f"{case}: {want.get('index', '')}: got/expected {diffs}"


@pytest.mark.parametrize("case", CASES)
def test_recorded_walk(case: str) -> None:
    folder = CASES_DIR / case
    expected = json.loads((folder / "expected.json").read_text(encoding="utf-8"))
    group: Group = GROUPS[expected["group"]]
    readings = parse_group(group, group_data(group, read_walk(folder / "walk.txt")))
    readings_match(case, readings, expected["readings"])

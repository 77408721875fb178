"""Table-driven: every recorded CLI output under tests/data/ssh/<platform>/<case>/ parses
(or scrubs) to its expected JSON/text."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from provnet.pollers.ssh.parse import parse_interfaces, parse_optics
from provnet.pollers.ssh.platforms import load_platforms
from provnet.pollers.ssh.scrub import scrub_config

DATA = Path(__file__).resolve().parents[1] / "data" / "ssh"
CASES = sorted(p for p in DATA.glob("*/*") if (p / "expected.json").is_file())
PLATFORMS = load_platforms()


def test_cases_exist_for_both_platforms() -> None:
    platforms = {c.parent.name for c in CASES}
    assert {"cisco_ios", "huawei_vrp", "zte_zxros"} <= platforms
    purposes = {json.loads((c / "expected.json").read_text())["purpose"] for c in CASES}
    assert purposes == {"optics", "interfaces", "running_config"}


@pytest.mark.parametrize("case", CASES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_recorded_output(case: Path) -> None:
    platform = PLATFORMS[case.parent.name]
    expected = json.loads((case / "expected.json").read_text(encoding="utf-8"))
    raw = (case / "output.txt").read_text(encoding="utf-8")
    purpose = expected["purpose"]
    if purpose == "running_config":
        scrubbed = scrub_config(platform, raw)
        assert scrubbed == (case / expected["expected_file"]).read_text(encoding="utf-8")
        for secret in expected["absent"]:
            assert secret not in scrubbed
        assert scrub_config(platform, scrubbed) == scrubbed  # idempotent
        return
    parse = parse_optics if purpose == "optics" else parse_interfaces
    got = [dataclasses.asdict(r) for r in parse(platform, raw)]  # type: ignore[operator]
    assert got == expected["records"]


def test_volatile_lines_do_not_make_a_change() -> None:
    platform = PLATFORMS["cisco_ios"]
    raw = (DATA / "cisco_ios" / "config_scrub" / "output.txt").read_text()
    later = (raw.replace("2314 bytes", "2318 bytes").replace("08:41:07", "09:02:00")
             .replace("17179864", "17179870").replace("\n", "\r\n"))
    assert scrub_config(platform, later) == scrub_config(platform, raw)

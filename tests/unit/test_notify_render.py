"""Templates: every case folder under tests/data/notify/ renders to its expected files.

Regenerate after an intended template change with ``PROVNET_UPDATE_SNAPSHOTS=1`` and review
the diff.
"""

from __future__ import annotations

import json
import os
from datetime import timedelta
from pathlib import Path

import pytest

from provnet.alerts.notify.codec import from_dict, to_dict
from provnet.alerts.notify.errors import NotifyError
from provnet.alerts.notify.render import format_duration, group_by_district, render
from provnet.alerts.notify.types import AffectedSite

DATA = Path(__file__).parent.parent / "data" / "notify"
CASES = sorted(p.name for p in DATA.iterdir() if (p / "input.json").exists())
UPDATE = os.environ.get("PROVNET_UPDATE_SNAPSHOTS") == "1"


def _load(case: str) -> tuple[dict, str]:
    raw = json.loads((DATA / case / "input.json").read_text(encoding="utf-8"))
    return raw["notification"], raw["language"]


@pytest.mark.parametrize("case", CASES)
def test_render_matches_expected(case: str) -> None:
    data, language = _load(case)
    rendered = render(from_dict(data), language)  # type: ignore[arg-type]
    for name, got in (
        ("subject.txt", rendered.subject + "\n"),
        ("text.txt", rendered.text),
        ("html.html", rendered.html),
    ):
        path = DATA / case / name
        if UPDATE:
            path.write_text(got, encoding="utf-8")
        assert got == path.read_text(encoding="utf-8"), f"{case}/{name}"


def test_cases_cover_every_event_and_language() -> None:
    seen = {(_load(c)[0]["event"], _load(c)[1]) for c in CASES}
    assert {e for e, _ in seen} == {"firing", "resolved", "escalated", "acknowledged", "test"}
    assert {lang for _, lang in seen} == {"vi", "en"}


@pytest.mark.parametrize("case", CASES)
def test_codec_round_trip(case: str) -> None:
    data, _ = _load(case)
    n = from_dict(data)
    assert from_dict(to_dict(n)) == n


def test_html_escapes_but_text_does_not() -> None:
    data, _ = _load("escaping-en")
    r = render(from_dict(data), "en")
    assert "<script>" not in r.html and "&lt;script&gt;" in r.html
    assert "UBND xã &lt;Mỹ Hòa&gt; &amp; Co" in r.html
    assert "Link <script>alert(1)</script>" in r.text


def _site(code: str, name: str, district: str | None) -> AffectedSite:
    return AffectedSite(code, name, None, district, "device_unreachable")


@pytest.mark.parametrize(
    ("sites", "expected"),
    [
        ((), []),
        (
            (_site("b", "Xã Ô Lâm", "Tri Tôn"), _site("a", "Xã An Cư", "Tịnh Biên")),
            [("Tịnh Biên", ["a"]), ("Tri Tôn", ["b"])],
        ),
        (  # sorted ignoring diacritics: "Ô" sorts as "O", after "Lương"
            (_site("o", "Xã Ô Lâm", "Tri Tôn"), _site("l", "Xã Lương Phi", "Tri Tôn")),
            [("Tri Tôn", ["l", "o"])],
        ),
        (
            (_site("x", "Trạm X", None), _site("c", "Xã Châu Lăng", "Tri Tôn")),
            [("Tri Tôn", ["c"]), ("(no district)", ["x"])],
        ),
    ],
)
def test_group_by_district(sites: tuple[AffectedSite, ...], expected: list) -> None:
    groups = group_by_district(sites, "en")
    assert [(g.district, [s.site_code for s in g.sites]) for g in groups] == expected


@pytest.mark.parametrize(
    ("seconds", "language", "expected"),
    [
        (0, "en", "0 s"),
        (42, "vi", "42 giây"),
        (65, "en", "1 min 5 s"),
        (3600, "en", "1 h"),
        (3907, "vi", "1 giờ 5 phút"),
        (90061, "en", "1 d 1 h 1 min"),
        (-5, "en", "0 s"),
    ],
)
def test_format_duration(seconds: int, language: str, expected: str) -> None:
    assert format_duration(timedelta(seconds=seconds), language) == expected  # type: ignore[arg-type]


def test_unknown_language_is_a_notify_error() -> None:
    data, _ = _load("firing-vi")
    with pytest.raises(NotifyError, match="unknown language"):
        render(from_dict(data), "fr")  # type: ignore[arg-type]


@pytest.mark.parametrize("field", ["key", "incident"])
def test_malformed_notification_names_the_field(field: str) -> None:
    data, _ = _load("firing-vi")
    del data[field]
    with pytest.raises(NotifyError, match=field):
        from_dict(data)

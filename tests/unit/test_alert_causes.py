"""Incident titles and root causes: one phrase, two languages (table-driven, pure)."""

from __future__ import annotations

from typing import Any

import pytest

from provnet.alerts.causes import PHRASES, Phrase, incident_texts, kind_count
from provnet.alerts.summary import describe_alert
from tests.unit.test_alert_incidents import view

CUT = [["commune_office", 15], ["bts", 1]]

# (code, params, Vietnamese, English)
PHRASE_CASES: list[tuple[str, dict[str, Any], str, str]] = [
    ("title.link_cut", {"site": "PoP Tri Tôn", "cut": CUT},
     "PoP Tri Tôn mất kết nối: 15 trụ sở UBND xã, 1 trạm BTS bị cô lập",
     "PoP Tri Tôn down: 15 commune offices, 1 BTS site cut off"),
    ("title.link_cut", {"site": "PoP Tri Tôn", "cut": []},
     "PoP Tri Tôn mất kết nối", "PoP Tri Tôn down"),
    ("title.link", {"a": "PoP Tri Tôn", "z": "AG-CORE"},
     "Đường truyền PoP Tri Tôn ↔ AG-CORE mất kết nối", "Link PoP Tri Tôn ↔ AG-CORE down"),
    ("title.link_unknown", {"link": 12}, "Đường truyền 12 mất kết nối", "Link 12 down"),
    ("title.device", {"site": "UBND xã Lương Phi", "cut": [["pop", 1]]},
     "UBND xã Lương Phi không truy cập được: 1 PoP bị cô lập",
     "UBND xã Lương Phi unreachable: 1 PoP cut off"),
    ("title.device_unknown", {"device": 7}, "Thiết bị 7 không truy cập được",
     "Device 7 unreachable"),
    ("title.alert", {"what": {"vi": "Băng thông sử dụng cao", "en": "High utilisation"},
                     "where": "PoP Tri Tôn", "port": "ge-0/0/1"},
     "Băng thông sử dụng cao: PoP Tri Tôn ge-0/0/1", "High utilisation: PoP Tri Tôn ge-0/0/1"),
    ("cause.link", {"link": 12, "a": "POP-891", "z": "AG-CORE"},
     "đường truyền 12 (POP-891 ↔ AG-CORE) mất kết nối", "link 12 (POP-891 ↔ AG-CORE) down"),
    ("cause.link_unknown", {"link": 12}, "đường truyền 12 mất kết nối", "link 12 down"),
    ("cause.device", {"host": "r2", "site": "POP-891"},
     "thiết bị r2 (POP-891) không truy cập được", "device r2 (POP-891) unreachable"),
    ("cause.device_unknown", {"device": 7}, "thiết bị 7 không truy cập được",
     "device 7 unreachable"),
    ("cause.alert", {"rule": "utilisation_high", "entity": "if:2:1", "value": 95.5},
     "utilisation_high trên if:2:1 = 95.5", "utilisation_high on if:2:1 = 95.5"),
    ("cause.alert", {"rule": "poll_failing", "entity": "device:2", "value": None},
     "poll_failing trên device:2", "poll_failing on device:2"),
    ("plain", {"text": "x|device:1"}, "x|device:1", "x|device:1"),
    ("title.node", {"node": "pop-tri-ton", "devices": "16"},
     "Nút thu thập pop-tri-ton mất liên lạc với trung tâm",
     "Poller node pop-tri-ton unreachable from the centre"),
    ("cause.node", {"node": "pop-tri-ton", "devices": "16"},
     "không nhận được dữ liệu hay nhịp tim từ nút thu thập pop-tri-ton: 16 thiết bị không rõ "
     "trạng thái", "no data nor heartbeat from poller node pop-tri-ton: 16 devices unknown"),
    ("title.digest", {"node": "pop-tri-ton", "start": "10:02", "end": "10:47", "count": 3},
     "Trong lúc mất liên lạc với nút pop-tri-ton (10:02–10:47): 3 sự cố, nay đã hết",
     "While node pop-tri-ton was cut off (10:02–10:47): 3 incident(s), now cleared"),
    ("cause.digest", {"what": {"vi": "UBND xã A không truy cập được", "en": "A unreachable"}},
     "UBND xã A không truy cập được", "A unreachable"),
]


@pytest.mark.parametrize(("code", "params", "vi", "en"), PHRASE_CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(PHRASE_CASES)])
def test_phrase_in_both_languages(code: str, params: dict[str, Any], vi: str, en: str) -> None:
    p = Phrase(code, params)
    assert (p.text("vi"), p.text("en")) == (vi, en)
    again = Phrase.from_json(p.to_json())
    assert again is not None and (again.text("vi"), again.text("en")) == (vi, en)


def test_every_code_has_both_languages_and_a_case() -> None:
    assert set(PHRASES["vi"]) == set(PHRASES["en"])
    assert {c for c, *_ in PHRASE_CASES} | {"cut"} == set(PHRASES["vi"])


@pytest.mark.parametrize(("kind", "n", "vi", "en"), [
    ("commune_office", 1, "1 trụ sở UBND xã", "1 commune office"),
    ("commune_office", 2, "2 trụ sở UBND xã", "2 commune offices"),
    ("department", 3, "3 sở, ngành", "3 departments"),
    ("bts", 1, "1 trạm BTS", "1 BTS site"),
    ("school", 2, "2 school", "2 school"),  # unknown kind: as it is
])
def test_kind_count(kind: str, n: int, vi: str, en: str) -> None:
    assert (kind_count(kind, n, "vi"), kind_count(kind, n, "en")) == (vi, en)


@pytest.mark.parametrize(("labels", "title", "cause"), [
    pytest.param(None, ("Tiêu đề", "Tiêu đề"), ("cause", "cause"), id="stored-before-phrases"),
    pytest.param({"title": {"code": "nope"}, "cause": "text"}, ("Tiêu đề", "Tiêu đề"),
                 ("cause", "cause"), id="not-a-phrase"),
    pytest.param({"title": {"code": "title.link", "params": {"a": "A"}}},
                 ("Tiêu đề", "Tiêu đề"), ("cause", "cause"), id="params-missing"),
    pytest.param({"title": Phrase("title.link_unknown", {"link": 3}).to_json(),
                  "cause": Phrase("cause.link_unknown", {"link": 3}).to_json()},
                 ("Đường truyền 3 mất kết nối", "Link 3 down"),
                 ("đường truyền 3 mất kết nối", "link 3 down"), id="phrases"),
])
def test_incident_texts(labels: dict[str, Any] | None, title: tuple[str, str],
                        cause: tuple[str, str]) -> None:
    t = incident_texts(labels, "Tiêu đề", "cause")
    assert (t.title["vi"], t.title["en"]) == title
    assert (t.root_cause["vi"], t.root_cause["en"]) == cause


@pytest.mark.parametrize(("summary", "vi", "en"), [
    ("Băng thông sử dụng cao / high utilisation", "Băng thông sử dụng cao: Site 2 Tri Tôn ge0",
     "High utilisation: Site 2 Tri Tôn ge0"),
    ("Mất gói", "Mất gói: Site 2 Tri Tôn ge0", "Mất gói: Site 2 Tri Tôn ge0"),
    ("", "utilisation_high: Site 2 Tri Tôn ge0", "utilisation_high: Site 2 Tri Tôn ge0"),
])
def test_lone_alert_title_from_the_rule_summary(summary: str, vi: str, en: str) -> None:
    d = describe_alert(view(), "utilisation_high", summary, "if:2:1",
                       {"device_id": "2", "ifname": "ge0"}, 95.0)
    assert (d.title.text("vi"), d.title.text("en")) == (vi, en)
    assert d.cause.text("en") == "utilisation_high on if:2:1 = 95"
    assert (d.site, d.district) == ("POP-891", "891")

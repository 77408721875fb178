"""Ranking of search results (pure): exact, prefix, substring; diacritics honoured when typed."""

from __future__ import annotations

import pytest

from provnet.inventory.find import Hit, quality, rank


@pytest.mark.parametrize(("query", "text", "want"), [
    ("tri ton", "Tri Tôn", 0),
    ("TRI TON", "Thị trấn Tri Tôn", 1),      # a word starts with it
    ("thi tran", "Thị trấn Tri Tôn", 1),     # the text starts with it
    ("ri to", "Thị trấn Tri Tôn", 2),        # a substring only
    ("duc", "Xã Mỹ Đức", 1),                 # đ folds to d
    ("tsl-30280", "AG-TSL-30280-1", 1),      # after a dash counts as a word start
    ("127.10.3.1", "127.10.3.1", 0),
    ("long", "Xã Mỹ Đức", 3),
    ("", "anything", 3),
])
def test_quality(query: str, text: str, want: int) -> None:
    assert quality(query, text) == want


def _h(kind: str, label: str) -> tuple[Hit, tuple[str, ...]]:
    return Hit(kind, label, label, ""), (label,)


def test_rank_orders_by_quality_then_kind_then_length() -> None:
    hits = [_h("site", "BTS Viettel Tri Tôn 1"), _h("device", "tri ton"),
            _h("commune", "Thị trấn Tri Tôn"), _h("site", "PoP Tri Tôn"),
            _h("commune", "Xã Lương Phi")]
    got = [h.label for h in rank("tri ton", hits)]
    assert got == ["tri ton", "Thị trấn Tri Tôn", "PoP Tri Tôn", "BTS Viettel Tri Tôn 1"]


def test_accented_query_must_match_its_marks() -> None:
    hits = [_h("commune", "Xã Mỹ Đức"), _h("commune", "Xã Mỹ Dục")]
    assert [h.label for h in rank("Đức", hits)] == ["Xã Mỹ Đức"]
    assert {h.label for h in rank("duc", hits)} == {"Xã Mỹ Đức", "Xã Mỹ Dục"}

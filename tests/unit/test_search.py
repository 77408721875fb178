"""Vietnamese names: search with or without diacritics."""

import pytest

from provnet.inventory.search import fold, has_diacritics, matches


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Tri Tôn", "tri ton"),
        ("Châu Đốc", "chau doc"),
        ("Xã Vĩnh Hanh", "xa vinh hanh"),
        ("  Phường   Mỹ Bình ", "phuong my binh"),
        ("ĐÌNH", "dinh"),
        ("plain", "plain"),
    ],
)
def test_fold(text: str, folded: str) -> None:
    assert fold(text) == folded


@pytest.mark.parametrize(
    ("query", "name", "hit"),
    [
        ("tri ton", "Thị trấn Tri Tôn", True),
        ("TRI TON", "Thị trấn Tri Tôn", True),
        ("Tôn", "Thị trấn Tri Tôn", True),
        ("Tồn", "Thị trấn Tri Tôn", False),  # typed accents must match exactly
        ("chau doc", "Thành phố Châu Đốc", True),
        ("Đốc", "Thành phố Châu Đốc", True),
        ("doc", "Thành phố Châu Đốc", True),
        ("my binh", "Phường Mỹ Bình", True),
        ("mỹ", "Phường Mỹ Bình", True),
        ("my hoa", "Phường Mỹ Bình", False),
        # NFD-composed input from some keyboards matches NFC-stored names
        ("Mỹ", "Phường Mỹ Bình", True),
    ],
)
def test_matches(query: str, name: str, hit: bool) -> None:
    assert matches(query, name) is hit


def test_has_diacritics() -> None:
    assert has_diacritics("Tôn")
    assert has_diacritics("đ")
    assert not has_diacritics("Ton")

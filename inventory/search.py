"""Accent-insensitive matching of Vietnamese names."""

from __future__ import annotations

import unicodedata

_SPECIAL = str.maketrans({"đ": "d", "Đ": "d"})


def fold(text: str) -> str:
    """Lower-case, strip diacritics (đ -> d), collapse whitespace: ``"Tri Tôn" -> "tri ton"``."""
    decomposed = unicodedata.normalize("NFD", text.translate(_SPECIAL))
    bare = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return " ".join(bare.casefold().split())


def has_diacritics(text: str) -> bool:
    """True when the text carries Vietnamese tone or vowel marks (or đ)."""
    return fold(text) != " ".join(text.casefold().split())


def matches(query: str, name: str) -> bool:
    """Substring match. A query typed with diacritics must match them exactly (case-insensitive);
    one typed without matches any accented form, as users of Vietnamese search expect."""
    if has_diacritics(query):
        q = unicodedata.normalize("NFC", " ".join(query.casefold().split()))
        return q in unicodedata.normalize("NFC", " ".join(name.casefold().split()))
    return fold(query) in fold(name)

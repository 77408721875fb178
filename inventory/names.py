"""Names derived from a unit's full name: its type and short name (never asked of the user)."""

from __future__ import annotations

#: Vietnamese unit types, longest first so "Thành phố" wins over a shorter prefix
UNIT_TYPES = ("Thành phố", "Thị trấn", "Thị xã", "Đặc khu", "Phường", "Huyện", "Quận", "Tỉnh",
              "Xã")


def split_unit_name(name: str) -> tuple[str, str]:
    """``"Thị trấn Tri Tôn"`` -> ``("Tri Tôn", "Thị trấn")``; a name without a known type
    prefix is its own short name with an empty type."""
    clean = " ".join(name.split())
    for t in UNIT_TYPES:
        if clean.casefold().startswith(t.casefold() + " ") and len(clean) > len(t) + 1:
            return clean[len(t) + 1:], t
    return clean, ""

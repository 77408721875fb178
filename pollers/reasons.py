"""Why a link has its status: stable reason codes and their Vietnamese and English texts.

:func:`~pollers.live.link_health` sets ``reason_code`` (stable, for programs and
translations), ``reason_detail`` (device error texts, as the devices gave them, or None)
and ``reason`` (the English text, as the API has always returned it). Pages and
notifications in Vietnamese show ``reason_text(code, "vi", detail)``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

Lang = Literal["vi", "en"]

UP = "up"
UP_ONE_END = "up_one_end"
DOWN_A = "down_a"
DOWN_Z = "down_z"
DOWN_BOTH = "down_both"
NO_FRESH_DATA = "no_fresh_data"
BOTH_UNREACHABLE = "both_unreachable"

#: code -> language -> text; ``{detail}`` is replaced by the reason's detail.
LINK_REASONS: Mapping[str, Mapping[Lang, str]] = {
    UP: {"en": "oper up",
         "vi": "đang hoạt động (oper up)"},
    UP_ONE_END: {"en": "oper up (one end polled)",
                 "vi": "đang hoạt động (oper up; mới đọc được một đầu)"},
    DOWN_A: {"en": "oper status not up at end A",
             "vi": "đầu A không hoạt động (oper status không phải up)"},
    DOWN_Z: {"en": "oper status not up at end Z",
             "vi": "đầu Z không hoạt động (oper status không phải up)"},
    DOWN_BOTH: {"en": "oper status not up at end A+Z",
                "vi": "cả hai đầu A và Z không hoạt động (oper status không phải up)"},
    NO_FRESH_DATA: {"en": "no fresh data from either end",
                    "vi": "không có dữ liệu mới từ đầu nào"},
    BOTH_UNREACHABLE: {"en": "both ends unreachable ({detail})",
                       "vi": "không liên lạc được với cả hai đầu ({detail})"},
}


def reason_text(code: str, lang: Lang = "en", detail: str | None = None) -> str:
    """The text of a link reason in ``lang`` (``vi`` or ``en``); ValueError when unknown."""
    texts = LINK_REASONS.get(code)
    if texts is None:
        raise ValueError(f"unknown link reason code {code!r}")
    if lang not in texts:
        raise ValueError(f"unknown language {lang!r} (expected vi or en)")
    return texts[lang].replace("{detail}", detail or "")


def down_code(ends: str) -> str:
    """The code of "oper status not up" at ``ends``: ``"A"``, ``"Z"`` or ``"A+Z"``."""
    return {"A": DOWN_A, "Z": DOWN_Z, "A+Z": DOWN_BOTH}[ends]

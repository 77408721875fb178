"""Every word of the site shell (navigation, search, banner, notices), Vietnamese and English.

Pages add their own tables (``maps/labels.py`` for the maps); :func:`shell_text` merges them so
a template reads one ``t``.
"""

from __future__ import annotations

from collections.abc import Mapping

LANGS = ("vi", "en")
#: the province's clock: every time a person reads is shown in it (no DST since 1975)
TIME_ZONE = "Asia/Ho_Chi_Minh"

SHELL: Mapping[str, Mapping[str, str]] = {
    "vi": {
        "app": "provnet",
        "nav_home": "Tổng quan", "nav_incidents": "Sự cố", "nav_map": "Bản đồ",
        "nav_reports": "Báo cáo", "nav_help": "Trợ giúp",
        "search_label": "Tìm kiếm", "search_placeholder": "Xã, trạm, thiết bị, mã kênh…",
        "search_go": "Tìm",
        "help_engineer": "Hướng dẫn cho kỹ sư mạng", "help_planner": "Hướng dẫn cho quy hoạch",
        "help_responder": "Hướng dẫn cho ứng cứu sự cố", "help_api": "Tài liệu API",
        "banner_one": "1 sự cố đang mở", "banner_many": "{n} sự cố đang mở",
        "banner_acked": "{n} đã xác nhận", "banner_open": "Xem sự cố",
        "stale": "Mất kết nối tới máy chủ từ {time}: số liệu trên trang có thể đã cũ.",
        "stale_short": "Dữ liệu có thể đã cũ",
        "live": "Trực tiếp", "updated": "Cập nhật lúc {time}",
        "login": "Đăng nhập", "logout": "Đăng xuất", "signed_in": "{user} ({role})",
        "role_viewer": "xem", "role_operator": "vận hành", "role_admin": "quản trị",
        "lang_vi": "Tiếng Việt", "lang_en": "English", "lang_switch": "Ngôn ngữ",
        "tz_note": "Giờ Việt Nam (UTC+7)",
        "loading": "Đang tải…", "empty": "Không có dữ liệu.",
        "error_generic": "Không tải được dữ liệu: {reason}",
        "not_found": "Không tìm thấy", "back_home": "Về trang tổng quan",
    },
    "en": {
        "app": "provnet",
        "nav_home": "Overview", "nav_incidents": "Incidents", "nav_map": "Map",
        "nav_reports": "Reports", "nav_help": "Help",
        "search_label": "Search", "search_placeholder": "Commune, site, device, circuit id…",
        "search_go": "Search",
        "help_engineer": "Guide for network engineers", "help_planner": "Guide for planners",
        "help_responder": "Guide for incident responders", "help_api": "API documentation",
        "banner_one": "1 open incident", "banner_many": "{n} open incidents",
        "banner_acked": "{n} acknowledged", "banner_open": "View incidents",
        "stale": "Lost contact with the server since {time}: figures on this page may be old.",
        "stale_short": "Data may be stale",
        "live": "Live", "updated": "Updated at {time}",
        "login": "Log in", "logout": "Log out", "signed_in": "{user} ({role})",
        "role_viewer": "viewer", "role_operator": "operator", "role_admin": "admin",
        "lang_vi": "Tiếng Việt", "lang_en": "English", "lang_switch": "Language",
        "tz_note": "Viet Nam time (UTC+7)",
        "loading": "Loading…", "empty": "No data.",
        "error_generic": "Could not load the data: {reason}",
        "not_found": "Not found", "back_home": "Back to the overview",
    },
}


def shell_text(lang: str, *extra: Mapping[str, Mapping[str, str]]) -> dict[str, str]:
    """The shell's words in ``lang`` (Vietnamese when unknown), then each page table's."""
    lang = lang if lang in LANGS else "vi"
    out = dict(SHELL[lang])
    for table in extra:
        out.update(table.get(lang, table["vi"]))
    return out

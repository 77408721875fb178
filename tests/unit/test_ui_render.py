"""The site shell's pure parts: language choice, Viet Nam time, safe return paths, words."""

from __future__ import annotations

import datetime as dt

import pytest
from starlette.requests import Request

from provnet.api.ui.render import LANG_COOKIE, local_time, page_lang
from provnet.api.ui.shell import safe_next
from provnet.api.ui.text import SHELL, shell_text


def _request(cookie: str | None = None) -> Request:
    headers = [(b"cookie", f"{LANG_COOKIE}={cookie}".encode())] if cookie else []
    return Request({"type": "http", "method": "GET", "path": "/", "headers": headers,
                    "query_string": b""})


@pytest.mark.parametrize(("asked", "cookie", "expected"), [
    (None, None, "vi"),        # nothing said: Vietnamese
    ("en", None, "en"),        # the query wins
    (None, "en", "en"),        # the remembered choice
    ("vi", "en", "vi"),        # the query beats the cookie
    (None, "fr", "vi"),        # a forged cookie value falls back
])
def test_page_language(asked: str | None, cookie: str | None, expected: str) -> None:
    assert page_lang(_request(cookie), asked) == expected


@pytest.mark.parametrize(("value", "expected"), [
    (dt.datetime(2026, 12, 1, 17, 30, tzinfo=dt.UTC), "02/12/2026 00:30"),  # crosses midnight
    (dt.datetime(2026, 12, 1, 17, 30), "02/12/2026 00:30"),                  # naive = UTC
    (1767225600, "01/01/2026 07:00"),  # epoch seconds
    (None, ""),
])
def test_local_time_is_viet_nam_time(value: object, expected: str) -> None:
    assert local_time(value) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(("target", "expected"), [
    ("/maps/province?generation=2025", "/maps/province?generation=2025"),
    ("//evil.example/x", "/"), ("https://evil.example/", "/"), ("/\\evil", "/"),
    (None, "/"), ("", "/"),
])
def test_safe_next(target: str | None, expected: str) -> None:
    assert safe_next(target) == expected


def test_every_shell_word_exists_in_both_languages() -> None:
    assert set(SHELL["vi"]) == set(SHELL["en"])
    assert all(SHELL["vi"].values()) and all(SHELL["en"].values())


def test_page_tables_override_and_fall_back() -> None:
    page = {"vi": {"x": "xã"}, "en": {"x": "commune"}}
    assert shell_text("en", page)["x"] == "commune"
    assert shell_text("de", page)["x"] == "xã"
    assert shell_text("en", page)["nav_home"] == "Overview"

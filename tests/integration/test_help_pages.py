"""``/help/{who}``: the guides from ``docs/guide`` as pages (both languages, screenshots served,
links between guides rewritten, raw HTML not passed through), 404 pages for what is missing."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from provnet.api import app as app_module
from provnet.api.context import ApiContext
from provnet.api.ui import help as help_module
from provnet.api.ui.help import guide_html, help_router
from provnet.inventory.store import open_store
from provnet.pollers.live import LiveState

pytestmark = pytest.mark.integration
DOCS = Path(__file__).resolve().parents[2] / "docs"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    store = open_store(f"sqlite:///{tmp_path_factory.mktemp('help') / 'i.sqlite'}")
    app = app_module.create_app(ApiContext(store=store, live=LiveState()), [help_router()])
    return TestClient(app, raise_server_exceptions=False)


def test_responder_guide_both_languages(client: TestClient) -> None:
    vi = client.get("/help/responder?lang=vi")
    assert vi.status_code == 200
    assert "<h1>Hướng dẫn cho ứng cứu sự cố</h1>" in vi.text
    assert 'src="/help/screenshots/incident.png"' in vi.text
    assert 'href="/help/engineer?lang=vi"' in vi.text
    en = client.get("/help/responder?lang=en")
    assert "<h1>Guide for incident responders</h1>" in en.text
    # the guide shipped with the package is docs/guide itself
    assert (help_module.GUIDE_DIR / "responder.vi.md").read_text() == (
        DOCS / "guide" / "responder.vi.md").read_text()


def test_screenshots_are_served(client: TestClient) -> None:
    r = client.get("/help/screenshots/incident.png")
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    assert r.content == (DOCS / "screenshots" / "incident.png").read_bytes()
    assert client.get("/help/screenshots/nothing.png").status_code == 404
    for bad in ("..%2F..%2Fpyproject.toml", "x.svg", "%2Fetc%2Fpasswd"):
        assert client.get(f"/help/screenshots/{bad}").status_code in (404, 422), bad


def test_missing_guide_and_unknown_reader(client: TestClient, tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(help_module, "GUIDE_DIR", tmp_path)
    r = client.get("/help/planner?lang=vi")
    assert r.status_code == 404 and "Chưa có hướng dẫn này." in r.text
    (tmp_path / "planner.en.md").write_text("# Planner\n")
    assert "<h1>Planner</h1>" in client.get("/help/planner?lang=vi").text  # the other language
    assert client.get("/help/director").status_code == 422


def test_markdown_passes_no_raw_html() -> None:
    html = guide_html("# T\n\n<script>alert(1)</script>\n\n![a](../screenshots/x.png)")
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert '<img src="/help/screenshots/x.png" alt="a"' in html

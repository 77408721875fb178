"""Names from the inventory are data, never markup or template code: a commune, a site, a
device and a BTS operator named with ``<script>``, quotes and ``{{ }}`` come out inert in
every page, the SVG, the KML export, the e-mail (text and HTML) and the Telegram message.

The real renderers: the map pages (jinja2 templates of ``api/pages.py``), ``maps/svg.py``,
``maps/io_export.py`` and ``alerts/notify/render.py`` + the Telegram formatter.
"""

from __future__ import annotations

import dataclasses
import html
import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from provnet.alerts.notify.channels.payloads import telegram_message
from provnet.alerts.notify.channels.smtp import build_message
from provnet.alerts.notify.render import render
from provnet.alerts.notify.types import AffectedSite
from provnet.api.app import create_app
from provnet.api.context import ApiContext
from provnet.api.pages import maps_routers
from provnet.config.settings import load_settings
from provnet.demo.seed import seed_demo
from provnet.inventory.model import AdminUnit, Bts, Device, Site
from provnet.inventory.store import Store, open_store
from provnet.maps.coverage import CoverageService
from provnet.maps.geojson import MapsContext
from provnet.maps.io_export import feature_collection, to_kml
from provnet.pollers.live import LiveState
from tests.support.notify_cases import case

pytestmark = pytest.mark.integration
EVIL = "Xã <script>alert(1)</script> \"Đá\" 'Núi' {{ 7*7 }} {% if 1 %}x{% endif %} &amp;"
EVIL_OP = "<script>x</script>\"'{{7*7}}"  # a BTS operator (30 characters at most)
CODE = "30448"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Store, Path]]:
    d = tmp_path_factory.mktemp("inert")
    st = open_store(f"sqlite:///{d / 'inv.sqlite'}")
    seed_demo(st)
    with st.session() as s:
        units = s.scalars(select(AdminUnit).where(AdminUnit.code == CODE)).all()
        assert units
        for u in units:
            u.name = EVIL
            u.short_name = EVIL
        for site in s.scalars(select(Site).where(Site.kind == "bts")).all()[:400]:
            site.name = f"{EVIL} {site.id}"
        ids = [u.id for u in units]
        here = s.scalars(select(Bts).join(Site, Bts.site_id == Site.id)
                         .where(Site.commune_id.in_(ids))).all()
        assert here, "the commune has BTS"
        here[0].operator = EVIL_OP
        for dev in s.scalars(select(Device)).all()[:20]:
            dev.hostname = f"{EVIL} {dev.id}"
    yield st, d
    st.close()


@pytest.fixture(scope="module")
def client(store: tuple[Store, Path]) -> Iterator[TestClient]:
    st, d = store
    live = LiveState()
    svc = CoverageService(st, load_settings(state_dir=d), persist=False)
    app = create_app(ApiContext(store=st, live=live),
                     maps_routers(MapsContext(st, live, coverage=svc)))
    with TestClient(app) as c:
        yield c


class _Tags(HTMLParser):
    """Every start tag with its attributes, and the text of <script> elements."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts.append(data)


def _assert_inert_html(doc: str) -> _Tags:
    assert "<script>alert" not in doc and "<script>x</script>" not in doc
    p = _Tags()
    p.feed(doc)
    for tag, attrs in p.tags:
        assert not any(a.startswith("on") for a in attrs), (tag, attrs)
        if tag == "script":  # only our static files or an inert JSON data block
            assert attrs.get("src", "").startswith("/maps/static/") or \
                attrs.get("type") == "application/json", attrs
    return p


@pytest.mark.parametrize("path", [
    f"/maps/communes/{CODE}", f"/maps/communes/{CODE}?lang=en",
    "/maps/province", "/maps/province?lang=en",
])
def test_pages(client: TestClient, path: str) -> None:
    r = client.get(path)
    assert r.status_code == 200, r.text
    p = _assert_inert_html(r.text)
    if "communes/" in path:
        # the name is there as text, whole: escaped, its {{ }} and {% %} not evaluated
        assert EVIL in html.unescape(r.text)
    for block in p.scripts:  # the JSON data blocks parse: no name broke out of them
        json.loads(block)


def _svg_check(text: str, expect: str) -> None:
    root = ET.fromstring(text.encode())
    for el in root.iter():
        tag = el.tag.rsplit("}", 1)[-1]
        assert tag not in ("script", "foreignObject", "iframe"), tag
        assert not any(a.startswith("on") for a in el.attrib), el.attrib
    assert expect in "".join(root.itertext())


def test_svg(client: TestClient) -> None:
    r = client.get(f"/maps/communes/{CODE}.svg")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("image/svg+xml")
    _svg_check(r.text, EVIL)


def test_svg_bts_operator(client: TestClient) -> None:
    for tech in ("4G", "3G", "2G"):
        r = client.get(f"/maps/communes/{CODE}.svg", params={"technology": tech})
        if EVIL_OP in html.unescape(r.text):
            _svg_check(r.text, EVIL_OP)
            return
    pytest.fail("the renamed BTS operator is in no SVG of the commune")


def test_kml() -> None:
    feature = {"type": "Feature", "properties": {
        "commune_name": EVIL, "layer": "gap", "operator": EVIL_OP, "technology": "4G",
        "commune_code": CODE},
        "geometry": {"type": "Polygon", "coordinates": [[[105.0, 10.0], [105.1, 10.0],
                                                         [105.1, 10.1], [105.0, 10.0]]]}}
    kml = to_kml(feature_collection([feature]), f"provnet {EVIL}")
    root = ET.fromstring(kml)
    tags = {el.tag.rsplit("}", 1)[-1] for el in root.iter()}
    assert "script" not in tags
    texts = [el.text or "" for el in root.iter()]
    assert any(EVIL in t for t in texts) and any(EVIL_OP in t for t in texts)
    assert b"<script>" not in kml


def _evil_notification() -> object:
    n = case("firing-vi")
    inc = n.incident  # type: ignore[attr-defined]
    evil = [dataclasses.replace(a, site_name=EVIL, commune=EVIL, district=EVIL)
            for a in inc.affected[:2]]
    affected = (*evil, AffectedSite(site_code="UB-1", site_name=EVIL_OP, commune=EVIL,
                                    district=None, alert="device_unreachable"))
    inc = dataclasses.replace(inc, title=f"PoP {EVIL} down", root_cause=f"link {EVIL}",
                              affected=affected)
    return dataclasses.replace(n, incident=inc)  # type: ignore[type-var]


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_email_and_telegram(lang: str) -> None:
    n = _evil_notification()
    rendered = render(n, lang)  # type: ignore[arg-type]
    assert EVIL in rendered.text and EVIL in rendered.subject  # plain text: shown as is
    _assert_inert_html(rendered.html)
    assert EVIL in html.unescape(rendered.html)
    msg = build_message(n, rendered, "provnet@x.vn", ["noc@x.vn"])  # type: ignore[arg-type]
    body = msg.get_body(("html",))
    assert body is not None
    _assert_inert_html(body.get_content())
    tg = telegram_message(rendered)
    # Telegram's HTML mode: only our <b>; everything from the inventory is escaped
    p = _Tags()
    p.feed(tg)
    assert {t for t, _ in p.tags} <= {"b"}
    assert EVIL in html.unescape(tg)


# --- the web face's pages (issue 15, web-home): search, home, incident console --------------
@pytest.fixture(scope="module")
def web_client(store: tuple[Store, Path]) -> Iterator[TestClient]:
    import time

    from provnet.alerts.model import Incident
    from provnet.api.overview import overview_router
    from provnet.api.search import search_router
    from provnet.api.ui.home import home_router
    from provnet.api.ui.incidents import incidents_router
    from provnet.api.ui.search_page import search_page_router
    from provnet.maps.overview import OverviewSource

    st, _ = store
    with st.session() as s:
        s.add(Incident(group_key="evil", title=EVIL, root_cause=EVIL, root_site_code=None,
                       district=None, severity="major", status="open", started_at=time.time(),
                       affected=[{"site_code": "X", "site_name": EVIL, "commune": EVIL,
                                  "district": EVIL, "alert": "cut_off"}]))
    live = LiveState()
    src = OverviewSource(st, live)
    app = create_app(ApiContext(store=st, live=live), [
        search_router(st), search_page_router(st), overview_router(src), home_router(src),
        incidents_router(st)])
    with TestClient(app) as c:
        yield c


@pytest.mark.parametrize("path", ["/search?q=script", "/search?q=xa&lang=en", "/", "/incidents",
                                  "/incidents/1", "/incidents/1?lang=en"])
def test_web_pages(web_client: TestClient, path: str) -> None:
    r = web_client.get(path)
    assert r.status_code == 200, r.text
    p = _assert_inert_html(r.text)
    if path != "/search?q=xa&lang=en":
        assert EVIL in html.unescape(r.text)  # shown whole, as text
    for block in p.scripts:
        json.loads(block)

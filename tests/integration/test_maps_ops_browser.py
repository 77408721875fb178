"""Maps as an operations view and the planner's journey, in a REAL headless Chromium.

The app: the seeded demo inventory, the real coverage engine, a live state fed with one poll
of every device, the real alert engine and incident book over the same store, the real event
hub behind ``/api/v1/stream``; served by uvicorn on a free loopback port. Asserted:

* the planner opens the province map on "5G: none", opens the worst commune, downloads its
  CSV with the button and every row agrees with the coverage API;
* every commune's fill and ``data-class`` on the map, the legend's swatches and the "10 worst"
  list agree with the API's value for that commune and metric (classified by
  ``maps.classes.classify``), for gap, single-operator, per-operator and fibre metrics;
* the 2025 view says why it draws fewer units than exist;
* a PoP uplink fails: without a reload the link turns red and the communes it cuts off are
  shown "bị cô lập" with the incident number and a link to ``/incidents/{id}``;
* the printable report; no request leaves the app's origin and no page logs a JavaScript
  error.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from provnet.alerts.engine import Engine
from provnet.alerts.incidents import IncidentBook
from provnet.alerts.rules import parse_rules
from provnet.alerts.view import load_view
from provnet.api.alerts import alerts_router
from provnet.api.app import create_app
from provnet.api.context import ApiContext
from provnet.api.coverage import coverage_router
from provnet.api.events import EventHub
from provnet.api.pages import maps_routers
from provnet.api.stream import stream_router
from provnet.config.settings import AlertSettings, ApiSettings, load_settings
from provnet.demo.seed import seed_demo
from provnet.features.alerts import collector_for
from provnet.inventory import queries
from provnet.inventory.store import Store, open_store
from provnet.maps.classes import classify, metric_value, parse_metric, scale_for, shown
from provnet.maps.coverage import CoverageService
from provnet.maps.geojson import STATUS_COLOURS, MapsContext
from provnet.maps.style import LEAFLET_JS
from provnet.pollers.live import LiveState
from provnet.pollers.types import IfRates, IfSample, PollResult, SnmpTarget
from tests.support import browser
from tests.support.helpers import free_port
from tests.unit.test_alert_incidents import RULES, Recorder

webdriver = pytest.importorskip("selenium.webdriver")
from selenium.common.exceptions import TimeoutException  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

# serial: Chromium fails requests (ERR_NETWORK_CHANGED) when a parallel test adds interfaces
pytestmark = [pytest.mark.integration, pytest.mark.serial]
POP = "POP-891"  # PoP Tri Tôn

if not browser.available():
    pytest.skip("Debian chromium and chromium-driver are needed (make deps-test)",
                allow_module_level=True)


@dataclass
class World:
    """The served app and what the test drives behind it."""

    base: str
    store: Store
    live: LiveState
    hub: EventHub
    loop: asyncio.AbstractEventLoop
    book: IncidentBook
    downloads: Path
    collector: Any = None
    cut_devices: set[int] = field(default_factory=set)

    def api(self, path: str, **params: Any) -> Any:
        r = httpx.get(self.base + path, params=params, timeout=60)
        r.raise_for_status()
        return r.json()

    def poll_cycle(self, failed: set[int], down_links: set[int]) -> None:
        """One poll of every device (``failed`` do not answer, ``down_links`` are down at
        their answering ends), through the live state and the alert engine; then the stream
        announces it, as the service's cycle does."""
        now = time.time()
        with self.store.session() as s:
            links, devices = queries.links(s), queries.devices(s)
        ports: dict[int, dict[int, int]] = {d.id: {} for d in devices}
        for r in links:
            oper = 2 if r.id in down_links else 1
            ports[r.a_device_id][r.a_ifindex] = oper
            ports[r.z_device_id][r.z_ifindex] = oper
        for d in devices:
            target = SnmpTarget(d.id, d.hostname, d.mgmt_address)
            if d.id in failed:
                result = PollResult(target, now, 2.0, error="timeout", error_kind="timeout")
                rates: dict[int, IfRates] = {}
            else:
                result = PollResult(target, now, 0.02, 1234, {
                    i: IfSample(i, oper_status=o) for i, o in ports[d.id].items()}, 10)
                rates = {i: IfRates(in_bps=1e6, out_bps=2e5, in_errors_ps=0.0,
                                    out_errors_ps=0.0) for i in ports[d.id]}
            self.live.update(result, rates)
            self.collector.on_result(result, rates)
        self.book.process(self.collector.flush())
        self.loop.call_soon_threadsafe(self.hub.publish, "links", [{"changed": True}])
        self.loop.call_soon_threadsafe(self.hub.publish, "incidents", [{"changed": True}])


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    import uvicorn

    if not LEAFLET_JS.exists():
        pytest.fail(f"{LEAFLET_JS} missing: run `make web`")
    d = tmp_path_factory.mktemp("mapsops")
    store = open_store(f"sqlite:///{d / 'inv.sqlite'}")
    seed_demo(store)
    live = LiveState()
    svc = CoverageService(store, load_settings(state_dir=d))
    svc.refresh()
    hub = EventHub()
    ctx = MapsContext(store, live, stale_after_s=600, coverage=svc, live_stream=True)
    with store.session() as s:
        view = load_view(s)
    book = IncidentBook(store, Engine(parse_rules(RULES), time.time), view, Recorder(),
                        AlertSettings(), time.time)
    app = create_app(ApiContext(store=store, live=live, stale_after_s=600),
                     [coverage_router(svc), *maps_routers(ctx), stream_router(hub),
                      alerts_router(store)], ApiSettings(host="127.0.0.1"))
    port = free_port("127.0.0.1")
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                           timeout_graceful_shutdown=2))
    loops: list[asyncio.AbstractEventLoop] = []

    def serve() -> None:
        loop = asyncio.new_event_loop()
        loops.append(loop)
        loop.run_until_complete(server.serve())
        loop.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    deadline = time.time() + 20
    while not server.started:
        assert time.time() < deadline and thread.is_alive(), "uvicorn did not start"
        time.sleep(0.05)
    w = World(f"http://127.0.0.1:{port}", store, live, hub, loops[0], book, d / "downloads",
              collector=collector_for(view))
    w.downloads.mkdir()
    w.poll_cycle(set(), set())  # everything up
    yield w
    server.should_exit = True
    thread.join(15)
    store.close()


@pytest.fixture(scope="module")
def driver(world: World) -> Iterator[webdriver.Chrome]:
    drv = browser.start(1500, 920, downloads=world.downloads, page_load_timeout=30)
    yield drv
    drv.get("about:blank")  # close the event stream before the server stops
    drv.quit()


def load(driver: webdriver.Chrome, world: World, path: str) -> None:
    """Open a page, wait until its script says ready, then check what it did: no request off
    the app's origin, no JavaScript error or failed load in the console."""
    driver.get_log("performance")
    driver.get_log("browser")
    driver.get(world.base + path)
    try:
        WebDriverWait(driver, 90).until(
            lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-ready"))
    except TimeoutException:
        sent = [json.loads(e["message"])["message"] for e in driver.get_log("performance")]
        urls = [m["params"]["request"]["url"] for m in sent
                if m["method"] == "Network.requestWillBeSent"]
        pytest.fail(f"{path} never got ready: {driver.get_log('browser')}; requested {urls}")
    body = driver.find_element(By.TAG_NAME, "body")
    assert body.get_attribute("data-ready") == "1", (body.get_attribute("data-error"),
                                                     driver.get_log("browser"))
    check_clean(driver, world)


def check_clean(driver: webdriver.Chrome, world: World) -> None:
    errors = browser.console_errors(driver)
    assert not errors, errors
    off_box = browser.off_origin(browser.requested_urls(driver), world.base)
    assert not off_box, f"requests leaving the box: {off_box}"


def shot(driver: webdriver.Chrome, name: str) -> None:
    browser.screenshot(driver, name)


def wait_download(folder: Path, suffix: str, timeout: float = 30) -> Path:
    deadline = time.time() + timeout
    while time.time() < deadline:
        done = [p for p in folder.iterdir() if p.name.endswith(suffix)]
        if done:
            return done[0]
        time.sleep(0.2)
    raise AssertionError(f"no *{suffix} downloaded into {folder}: {list(folder.iterdir())}")


def vi_pct(v: float | None) -> str:
    """A percentage as the Vietnamese pages write it: 0.1 %, decimal comma, no ",0"."""
    text = f"{shown(v):.1f} %".replace(".", ",")
    return text.replace(",0 %", " %")


def map_state(driver: webdriver.Chrome) -> list[dict[str, str]]:
    return driver.execute_script(
        "return [...document.querySelectorAll('path.commune-path')].map(p => ({"
        "code: p.dataset.code, cls: p.dataset.class, cut: p.dataset.cutoff,"
        "fill: p.getAttribute('fill')}))")


def test_planner_journey_5g_gap_worst_commune_csv(driver: webdriver.Chrome,
                                                   world: World) -> None:
    load(driver, world, "/maps/province?metric=5G:none")
    assert driver.find_element(By.ID, "metric").get_attribute("value") == "5G:none"
    stats = {s["code"]: s for s in world.api("/api/v1/coverage/communes")}
    highest = max(shown(s["by_technology"]["5G"]["none_pct"]) or 0 for s in stats.values())
    worst = driver.find_elements(By.CSS_SELECTOR, "#worst li")
    assert len(worst) == 10
    first = worst[0].get_attribute("data-code")
    # the worst commune of a gap metric has the LARGEST gap (not the smallest)
    assert shown(stats[first]["by_technology"]["5G"]["none_pct"]) == highest
    assert "Càng thấp càng tốt" in driver.find_element(By.ID, "legend").text
    shot(driver, "province-5g-gap.png")
    worst[0].find_element(By.TAG_NAME, "a").click()
    WebDriverWait(driver, 90).until(lambda d: d.current_url.split("?")[0].endswith(first)
                                    and d.find_element(By.TAG_NAME, "body")
                                    .get_attribute("data-ready"))
    assert driver.find_element(By.ID, "commune-name").text == stats[first]["name"]
    check_clean(driver, world)
    # the commune page's technology table shows the API's figures (0.1 %, vi-VN decimals)
    table = driver.execute_script(
        "return [...document.querySelectorAll('#stats table')][0].querySelectorAll('tbody tr')"
        ".length ? [...[...document.querySelectorAll('#stats table')][0]"
        ".querySelectorAll('tbody tr')].map(r => [...r.cells].map(c => c.textContent.trim()))"
        " : []")
    for tech, v in stats[first]["by_technology"].items():
        row = next(r for r in table if r[0] == tech)
        assert row[1:] == [vi_pct(v[k]) for k in ("any_pct", "one_pct", "none_pct")], row
    driver.find_element(By.ID, "dl-csv").click()
    path = wait_download(world.downloads, f"phu-song-{first}-legacy.csv")
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    assert rows[0][:3] == ["Thế hệ", "Mã xã", "Tên xã"]
    api = world.api(f"/api/v1/communes/{first}/coverage")
    expected = set()
    for tech, v in api["by_technology"].items():
        expected.add((tech, "Tất cả nhà mạng", shown(v["any_pct"]), shown(v["one_pct"]),
                      shown(v["none_pct"])))
        for op, per in api["by_operator"].items():
            expected.add((tech, op, shown(per.get(tech, 0.0)), None, None))
    expected.add(("Cáp quang", "Tất cả nhà mạng", shown(api["fibre_reach_pct"]), None, None))

    def num(cell: str) -> float | None:
        return float(cell) if cell else None

    got = {(r[5], r[6], num(r[7]), num(r[8]), num(r[9])) for r in rows[1:]}
    assert all(r[1] == first and r[2] == api["name"] for r in rows[1:])
    assert got == expected and len(rows) - 1 == len(expected)


@pytest.mark.parametrize("metric", ["5G:none", "4G:one", "Viettel:4G", "fibre"])
def test_every_fill_legend_and_figure_agrees_with_the_api(driver: webdriver.Chrome,
                                                           world: World, metric: str) -> None:
    load(driver, world, f"/maps/province?metric={metric}")
    m = parse_metric(metric)
    scale = scale_for(m)
    stats = {s["code"]: s for s in world.api("/api/v1/coverage/communes")}
    drawn = map_state(driver)
    assert len(drawn) == 155
    for p in drawn:
        c = classify(metric_value(stats[p["code"]], m), scale)
        assert c is not None
        assert (p["cls"], p["fill"]) == (str(c.index), c.colour), (p, c)
    legend = driver.execute_script(
        "return [...document.querySelectorAll('#legend .sw[data-class]')]"
        ".filter(e => e.dataset.class !== 'none').map(e => [e.dataset.class, "
        "getComputedStyle(e).backgroundColor])")
    want = [[str(c.index), "rgb({}, {}, {})".format(*(int(c.colour[i:i + 2], 16)
                                                      for i in (1, 3, 5)))] for c in scale]
    assert legend == want
    body = driver.find_element(By.TAG_NAME, "body").text
    assert "-0 %" not in body and "-0,0" not in body
    values = [metric_value(x, m) for x in stats.values()]
    mean = sum(v for v in values if v is not None) / len(values)
    assert driver.find_element(By.ID, "kpi-mean").text == vi_pct(mean)
    for li in driver.find_elements(By.CSS_SELECTOR, "#worst li"):
        v = metric_value(stats[li.get_attribute("data-code")], m)
        assert li.find_element(By.CSS_SELECTOR, ".v").text == vi_pct(v)


def test_2025_view_says_why_units_are_missing(driver: webdriver.Chrome, world: World) -> None:
    load(driver, world, "/maps/province?generation=2025")
    geo = world.api("/api/v1/geo/communes", generation="2025")
    drawn = {p["code"] for p in map_state(driver)}  # a GeometryCollection: several paths
    assert len(drawn) == len(geo["features"]) == geo["total"] - geo["without_geometry"]
    note = driver.find_element(By.ID, "missing")
    assert note.is_displayed()
    assert f"{geo['without_geometry']} trong {geo['total']} đơn vị" in note.text
    assert geo["missing"][0]["name"] in note.text
    assert driver.find_element(By.ID, "kpi-drawn").text == f"{len(drawn)} / {geo['total']}"


def test_pop_failure_turns_the_map_red_without_reload(driver: webdriver.Chrome,
                                                      world: World) -> None:
    load(driver, world, "/maps/province?refresh=60")  # the stream, not the poll, must do it
    driver.execute_script("window.__noReload = 'still here';")
    assert not [p for p in map_state(driver) if p["cut"]]
    with world.store.session() as s:
        links, topo = queries.links(s), queries.topology(s)
        commune_of = {d.id: d.commune_code for d in queries.devices(s)}
    uplink = next(r.id for r in links if r.a_site_code == POP and r.z_site_code == "AG-CORE")
    cut = set(topo.cut_off_by(failed_links=[uplink]))
    deadline = time.time() + 60
    while not world.api("/api/v1/geo/cutoff")["incidents"]:
        assert time.time() < deadline, "no incident from the PoP fault"
        world.poll_cycle(cut, {uplink})
        time.sleep(1)
    answer = world.api("/api/v1/geo/cutoff")
    (incident,) = answer["incidents"]
    communes = {commune_of[d] for d in cut if commune_of.get(d)}
    assert set(answer["communes"]) == communes and len(communes) >= 5
    WebDriverWait(driver, 30).until(lambda d: {p["code"] for p in map_state(d) if p["cut"]}
                                    == communes)
    assert driver.execute_script("return window.__noReload") == "still here"
    assert all(p["fill"] == "url(#hatch-cut)" for p in map_state(driver) if p["cut"])
    strokes = driver.execute_script(
        "return [...document.querySelectorAll('path.leaflet-interactive')]"
        ".map(p => p.getAttribute('stroke'))")
    assert STATUS_COLOURS["down"] in strokes
    assert driver.find_element(By.ID, "kpi-cut").text == str(len(communes))
    link = driver.find_element(By.CSS_SELECTOR,
                               f"#incidents li[data-incident='{incident['id']}'] a")
    assert link.get_attribute("href") == f"{world.base}/incidents/{incident['id']}"
    code = sorted(communes)[0]
    driver.execute_script(
        "const p = document.querySelector(`path.commune-path[data-code='${arguments[0]}']`);"
        "p.dispatchEvent(new MouseEvent('click', {bubbles: true}));", code)
    popup = WebDriverWait(driver, 10).until(
        lambda d: d.find_element(By.CSS_SELECTOR, ".leaflet-popup-content"))
    assert f"Bị cô lập — sự cố #{incident['id']}" in popup.text
    assert popup.find_element(By.CSS_SELECTOR, "a.incident-link").get_attribute("href") \
        == f"{world.base}/incidents/{incident['id']}"
    # the PoP's router in its popup: the status word of /api/v1/devices, in Vietnamese
    routers = world.api("/api/v1/geo/routers")["features"]
    pop = next(f["properties"] for f in routers if f["properties"]["code"] == POP)
    assert {d["status"] for d in pop["devices"]} == {"down"}
    driver.execute_script(
        "document.querySelectorAll('path.pop-marker').forEach(p => {"
        "  if (!document.querySelector('.leaflet-popup-content .dev-down'))"
        "    p.dispatchEvent(new MouseEvent('click', {bubbles: true})); });")
    content = WebDriverWait(driver, 10).until(lambda d: next(
        (t for t in d.execute_script("return [...document.querySelectorAll("
                                     "'.leaflet-popup-content')].map(p => p.textContent)")
         if POP in t), None))
    assert "Mất kết nối" in content
    check_clean(driver, world)
    shot(driver, "province-cut-off.png")
    load(driver, world, f"/maps/communes/{code}")
    banner = driver.find_element(By.ID, "cutoff")
    assert banner.is_displayed() and f"#{incident['id']}" in banner.text
    world.poll_cycle(set(), set())  # restored: the next tests see a healthy network


def test_printable_report(driver: webdriver.Chrome, world: World) -> None:
    load(driver, world, "/reports/coverage")
    rows = driver.find_elements(By.CSS_SELECTOR, "#report-communes tbody tr")
    assert len(rows) == 155
    api = {s["code"]: s for s in world.api("/api/v1/coverage/communes")}
    cells = [c.text for c in rows[0].find_elements(By.TAG_NAME, "td")]
    s = api[cells[0]]
    assert cells[1] == s["name"]
    assert float(cells[4]) == shown(s["by_technology"]["3G"]["any_pct"])
    assert "GMT+7" in driver.find_element(By.ID, "generated").text
    shot(driver, "report.png")
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        assert not driver.find_element(By.CSS_SELECTOR, ".topbar").is_displayed()
        assert not driver.find_element(By.ID, "print").is_displayed()
    finally:
        driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
    png = httpx.get(f"{world.base}/maps/communes/{min(api)}.png", timeout=60)
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG")
    assert png.headers["content-disposition"].endswith(f'ban-do-{min(api)}-4G.png"')
    load(driver, world, "/reports/coverage?lang=en")
    assert driver.find_element(By.ID, "report-title").text.startswith(
        "Coverage report by commune and operator")
    code = min(api)
    load(driver, world, f"/reports/coverage?commune={code}&lang=vi")
    assert driver.execute_script(
        "const i = document.getElementById('report-svg'); return i.complete && i.naturalWidth")
    check_clean(driver, world)

"""The map pages in a REAL headless Chromium (Debian ``chromium`` + ``chromium-driver``).

The app (seeded demo inventory, real coverage engine, a live state with one link down and
one busy) is served by uvicorn on a free loopback port. The test waits until Leaflet has
drawn, checks the DOM (commune paths, a BTS popup, the layer control, Vietnamese text),
checks that every request the page made stayed on the app's origin, and saves screenshots
to ``tests/artifacts/``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from provnet.api.app import create_app
from provnet.api.context import ApiContext
from provnet.api.coverage import coverage_router
from provnet.api.pages import maps_routers
from provnet.config.settings import ApiSettings, load_settings
from provnet.demo.seed import seed_demo
from provnet.inventory import queries
from provnet.inventory.store import Store, open_store
from provnet.maps.coverage import CoverageService
from provnet.maps.geojson import STATUS_COLOURS, MapsContext
from provnet.maps.style import LEAFLET_JS
from provnet.pollers.live import LiveState
from provnet.pollers.types import IfRates, IfSample, PollResult, SnmpTarget
from tests.support import browser
from tests.support.helpers import free_port

webdriver = pytest.importorskip("selenium.webdriver")
from selenium.common.exceptions import (  # noqa: E402
    ElementClickInterceptedException,
    TimeoutException,
)
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

# serial: Chromium fails requests (ERR_NETWORK_CHANGED) when a parallel test adds interfaces
pytestmark = [pytest.mark.integration, pytest.mark.serial]
COMMUNE = "30448"  # Xã Phú Thọ: 17 % of its area without 4G
DOWN_LINK, BUSY_LINK = 189, 12

if not browser.available():
    pytest.skip("Debian chromium and chromium-driver are needed (make deps-test)",
                allow_module_level=True)


def _feed(live: LiveState, store: Store) -> None:
    """One poll of every device: every linked port up, one link down, one link at 90 %."""
    now = time.time()
    with store.session() as s:
        links, devices = queries.links(s), queries.devices(s)
    ports: dict[int, dict[int, tuple[int, float]]] = {d.id: {} for d in devices}
    for r in links:
        oper = 2 if r.id == DOWN_LINK else 1
        bps = 0.9 * r.capacity_mbps * 1e6 if r.id == BUSY_LINK else 0.1 * r.capacity_mbps * 1e6
        ports[r.a_device_id][r.a_ifindex] = (oper, bps)
        ports[r.z_device_id][r.z_ifindex] = (oper, bps)
    for d in devices:
        samples = {i: IfSample(i, oper_status=o) for i, (o, _) in ports[d.id].items()}
        rates = {i: IfRates(in_bps=b, out_bps=b / 4, in_errors_ps=0.0, out_errors_ps=0.0)
                 for i, (_, b) in ports[d.id].items()}
        live.update(PollResult(SnmpTarget(d.id, d.hostname, d.mgmt_address), now, 0.02, 1234,
                               samples, 10), rates)


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    import uvicorn

    if not LEAFLET_JS.exists():
        pytest.fail(f"{LEAFLET_JS} missing: run `make web`")
    d = tmp_path_factory.mktemp("maps")
    store = open_store(f"sqlite:///{d / 'inv.sqlite'}")
    seed_demo(store)
    live = LiveState()
    _feed(live, store)
    svc = CoverageService(store, load_settings(state_dir=d))
    svc.refresh()
    ctx = MapsContext(store, live, stale_after_s=600, coverage=svc)
    app = create_app(ApiContext(store=store, live=live, stale_after_s=600),
                     [coverage_router(svc), *maps_routers(ctx)],
                     ApiSettings(host="127.0.0.1"))  # the served headers: CSP, Host check
    port = free_port("127.0.0.1")
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 20
    while not server.started:
        assert time.time() < deadline and thread.is_alive(), "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)
    store.close()


@pytest.fixture(scope="module")
def driver() -> Iterator[webdriver.Chrome]:
    drv = browser.start(1500, 920, page_load_timeout=30)
    yield drv
    drv.quit()


def _load(driver: webdriver.Chrome, url: str) -> None:
    driver.get_log("performance")  # drop what earlier pages logged
    driver.get(url)
    try:
        WebDriverWait(driver, 60).until(
            lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-ready"))
    except TimeoutException:
        pytest.fail(f"page never got ready: {driver.get_log('browser')}")
    body = driver.find_element(By.TAG_NAME, "body")
    assert body.get_attribute("data-ready") == "1", body.get_attribute("data-error")
    # the Content-Security-Policy (no inline script) blocked nothing the page needs
    blocked = [e["message"] for e in driver.get_log("browser")
               if "Content Security Policy" in e["message"]]
    assert not blocked, blocked
    kb = driver.execute_script("return Math.round(performance.getEntriesByType('resource')"
                               ".reduce((a, e) => a + e.transferSize, 0) / 1024)")
    print(f"{url}: drawn {body.get_attribute('data-ready-ms')} ms after navigation, {kb} KiB")


def _assert_local(urls: list[str], base_url: str) -> None:
    off_box = browser.off_origin(urls, base_url)
    assert not off_box, f"requests leaving the box: {off_box}"
    assert any("/maps/static/vendor/leaflet/leaflet.js" in u for u in urls)


def _shot(driver: webdriver.Chrome, name: str) -> Path:
    return browser.screenshot(driver, name, publish=False)


def _publish(*paths: Path) -> None:
    """Refresh the README screenshots when asked (PROVNET_UPDATE_SCREENSHOTS=1)."""
    for p in paths:
        browser.publish_screenshot(p)


def test_province_page(driver: webdriver.Chrome, base_url: str) -> None:
    _load(driver, f"{base_url}/maps/province?metric=Viettel:4G")
    assert driver.find_element(By.ID, "metric").get_attribute("value") == "Viettel:4G"
    paths = driver.find_elements(By.CSS_SELECTOR, "path.commune-path")
    assert len(paths) == 155
    fills = {p.get_attribute("fill") for p in paths}
    assert len(fills) >= 3, "communes are not coloured by the metric"
    page = driver.find_element(By.TAG_NAME, "body").text
    assert "Bản đồ phủ sóng" in page and "Tỉnh An Giang" in page
    assert "Mất kết nối" in page  # link legend in Vietnamese
    links = driver.execute_script(
        "return [...document.querySelectorAll('path.leaflet-interactive')]"
        ".map(p => p.getAttribute('stroke'))")
    assert STATUS_COLOURS["down"] in links and STATUS_COLOURS["busy"] in links  # down, busy
    options = [o.get_attribute("value") for o in
               driver.find_elements(By.CSS_SELECTOR, "#metric option")]
    assert "4G:any" in options and "fibre" in options
    worst = driver.find_elements(By.CSS_SELECTOR, "#worst li a")
    assert len(worst) == 10
    _assert_local(browser.requested_urls(driver), base_url)
    shot = _shot(driver, "province.png")
    _load(driver, f"{base_url}/maps/province?lang=en")
    assert "Coverage and telecom infrastructure map" in driver.find_element(
        By.TAG_NAME, "body").text
    assert driver.find_element(By.ID, "metric").get_attribute("value") == "4G:any"  # default
    # the choice is remembered: the next page without ?lang is English too ...
    _load(driver, f"{base_url}/maps/province?generation=legacy")
    assert driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en"
    # ... until the shell's switch goes back to Vietnamese, on the same page
    driver.find_element(By.CSS_SELECTOR, ".lang a[hreflang=vi]").click()
    WebDriverWait(driver, 20).until(
        lambda d: d.find_element(By.TAG_NAME, "html").get_attribute("lang") == "vi")
    assert "/maps/province?generation=legacy" in driver.current_url
    _publish(shot)


def test_commune_page(driver: webdriver.Chrome, base_url: str) -> None:
    driver.set_window_size(1600, 1240)  # the panel's layer list fits without scrolling
    _load(driver, f"{base_url}/maps/communes/{COMMUNE}")
    assert driver.find_element(By.ID, "commune-name").text == "Xã Phú Thọ"
    control = driver.find_element(By.CSS_SELECTOR, ".leaflet-control-layers").text
    for op in ("Viettel", "VinaPhone", "MobiFone"):
        assert f"Trạm BTS {op}" in control and f"{op} · 4G" in control
    assert "Vùng lõm 4G (gạch chéo)" in control
    assert "Đề xuất vị trí BTS mới (4G)" in control  # infill from the coverage engine
    assert driver.find_elements(By.CSS_SELECTOR, ".infill-pin")
    hatched = driver.find_elements(By.CSS_SELECTOR, "path.gap-path")
    assert hatched and hatched[0].get_attribute("fill") == "url(#hatch-gap)"
    assert driver.find_elements(By.CSS_SELECTOR, "pattern#hatch-gap")
    stats = driver.find_element(By.ID, "stats").get_attribute("textContent")
    assert "Phủ sóng theo công nghệ" in stats and "km²" in stats
    bts = driver.find_elements(By.CSS_SELECTOR, "path.bts-marker")
    assert len(bts) >= 3
    for marker in bts:  # a real mouse click on an SVG marker not covered by another one
        try:
            marker.click()
            break
        except ElementClickInterceptedException:
            continue
    popup = WebDriverWait(driver, 10).until(lambda d: next(
        (p for p in d.find_elements(By.CSS_SELECTOR, ".leaflet-popup-content")
         if "Nhà mạng" in p.text), None))
    assert "BTS" in popup.text and "Sector" in popup.text
    _assert_local(browser.requested_urls(driver), base_url)
    shot = _shot(driver, "commune.png")
    _publish(shot)


def test_unknown_commune_is_a_404_page_with_reason(driver: webdriver.Chrome,
                                                   base_url: str) -> None:
    driver.get(f"{base_url}/maps/communes/99999")
    assert "Không có xã/phường/thị trấn mã 99999" in driver.find_element(By.ID, "reason").text


def test_commune_svg_renders_in_chromium(driver: webdriver.Chrome, base_url: str) -> None:
    driver.set_window_size(960, 900)
    driver.get(f"{base_url}/maps/communes/{COMMUNE}.svg")
    title = driver.find_element(By.CSS_SELECTOR, "svg > text#title")
    assert title.text == "Xã Phú Thọ — Vùng phủ sóng 4G"
    assert driver.find_elements(By.CSS_SELECTOR, "path.gap")
    _publish(_shot(driver, "commune-svg.png"))

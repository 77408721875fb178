"""The engineer's journey in a REAL headless Chromium against the REAL demo process.

``provnet demo`` polls the simulated province; a month of history for one commune's link is
backfilled into the demo's own influxd (``tests/support/demo_history.py``: the real rollup
aggregator, two outages). The engineer logs in, types a commune WITHOUT diacritics into the
shell's search box, opens the commune, opens its link, switches the chart to 30 days and reads
the availability: the figure on the page equals the API's for the same period and the hand
figure of the backfill. No request leaves the app's origin; no error in the console.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote

import httpx
import pytest

from tests.support import browser
from tests.support.demo_history import DAY, backfill_commune
from tests.support.demo_proc import DemoProcess

# serial: Chromium fails requests (ERR_NETWORK_CHANGED) when a parallel test adds interfaces
pytestmark = [pytest.mark.integration, pytest.mark.serial]
if not browser.available():
    pytest.skip("Debian chromium and chromium-driver are needed (make deps-test)",
                allow_module_level=True)
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

COMMUNE, COMMUNE_NAME, TYPED = "30448", "Xã Phú Thọ", "phu tho"
INTERVAL = 5


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("journey")
    d = DemoProcess(tmp / "state", tmp / "demo.out",
                    ["--duration", "600", "--interval", str(INTERVAL)])
    try:
        health = d.wait_for("InfluxDB and two cycles", lambda: (
            h := d.get("/api/v1/health"))["poller"]["cycles"] >= 2 and h["influxdb"]["ok"]
            and h, 120)
        world = backfill_commune(d, health["influxdb"]["url"], COMMUNE)
        assert world["written"] > 10_000
        yield {"demo": d, **world}
    finally:
        if d.proc.poll() is None:
            d.stop()
        d.kill()


@pytest.fixture(scope="module")
def driver() -> Iterator[Any]:
    drv = browser.start(1500, 1100)
    yield drv
    drv.quit()


def _shot(driver: Any, name: str) -> None:
    browser.screenshot(driver, name)


def _clean(driver: Any, base: str) -> None:
    """Nothing left the origin, nothing went wrong in the console, since the last check."""
    assert not browser.off_origin(browser.requested_urls(driver), base)
    assert not browser.console_errors(driver)


def test_engineer_finds_a_commune_opens_its_link_and_reads_30_day_availability(
        demo: dict[str, Any], driver: Any) -> None:
    d: DemoProcess = demo["demo"]
    link = demo["link"]
    password = json.loads((d.state / "demo-tokens.json").read_text())["operator"]["password"]
    browser.login(driver, d.base, "operator", password, next_="/maps/province")
    browser.wait_ready(driver)  # the map drew (the page the engineer starts from)
    time.sleep(0.5)
    driver.get_log("browser")  # the login page's own favicon request is not ours to judge
    browser.requested_urls(driver)

    # 1. the shell's search box, a commune typed without diacritics
    box = driver.find_element(By.ID, "site-search")
    box.send_keys(TYPED)
    box.send_keys(Keys.ENTER)
    WebDriverWait(driver, 20).until(lambda x: "/search" in x.current_url)
    assert unquote(driver.current_url.split("q=")[1]).replace("+", " ") == TYPED
    hit = driver.find_element(By.CSS_SELECTOR, f'#search-results a[href="/communes/{COMMUNE}"]')
    assert hit.text == COMMUNE_NAME
    hit.click()

    # 2. the commune page: its link, its device, availability this month, coverage
    WebDriverWait(driver, 20).until(lambda x: x.current_url.endswith(f"/communes/{COMMUNE}"))
    browser.wait_ready(driver)
    assert driver.find_element(By.ID, "commune-name").text == COMMUNE_NAME
    assert driver.find_element(By.ID, "avail-month").get_attribute("data-value")
    assert "%" in driver.find_element(By.ID, "coverage").text
    _clean(driver, d.base)
    _shot(driver, "commune-page.png")
    driver.find_element(By.CSS_SELECTOR, f'#links a[href="/links/{link["id"]}"]').click()

    # 3. the link page: live status, then the 30-day chart
    WebDriverWait(driver, 20).until(lambda x: x.current_url.endswith(f"/links/{link['id']}"))
    browser.wait_ready(driver, range="24h")
    status = driver.find_element(By.ID, "live-status")
    WebDriverWait(driver, 20).until(lambda x: status.get_attribute("data-status") == "up")
    assert status.text == "Hoạt động"
    driver.find_element(By.CSS_SELECTOR, '#ranges button[data-range="30d"]').click()
    ready = browser.wait_ready(driver, range="30d")
    assert ready["error"] == ""
    assert driver.current_url.endswith("#range=30d")
    assert "1 giờ" in driver.find_element(By.ID, "res-note").text  # hourly rollups
    assert int(driver.find_element(By.ID, "chart-traffic").get_attribute("data-points")) >= 700
    assert driver.find_elements(By.CSS_SELECTOR, "#chart-traffic canvas")
    assert int(driver.find_element(By.ID, "chart-optics").get_attribute("data-points")) >= 700
    assert len(driver.find_elements(By.CSS_SELECTOR, "#timeline span.down")) == 2
    assert driver.find_element(By.ID, "flaps").text == "2"
    assert driver.find_element(By.ID, "p95-value").text.endswith("bit/s")

    # 4. the availability read on the page is the API's for the same period: the link's own
    # route the page asked, and the province-wide report's entry of this link
    value = driver.find_element(By.ID, "avail-value")
    shown = float(value.get_attribute("data-value"))
    asked = [u for u in browser.requested_urls(driver)
             if f"/api/v1/links/{link['id']}/availability?" in u][-1]
    one = httpx.get(asked, headers=d.headers("operator"), timeout=30).json()
    report = httpx.get(asked.replace(f"/api/v1/links/{link['id']}/availability?",
                                     "/api/v1/reports/availability?level=link&"),
                       headers=d.headers("operator"), timeout=120).json()
    mine = next(i for i in report["items"] if i["id"] == str(link["id"]))
    assert shown == pytest.approx(one["availability_experienced"], abs=2e-6)
    assert shown == pytest.approx(mine["availability_experienced"], abs=2e-6)
    assert (one["down_s"], one["incidents"]) == (mine["down_s"], mine["incidents"]) == (
        demo["down_s"], 2)
    assert value.text == f"{shown * 100:.3f} %"
    # and the hand figure: 3 h 45 min down in the month, the rest up (no-data time excluded)
    expected = 1 - demo["down_s"] / (mine["period_s"] - mine["no_data_s"])
    assert shown == pytest.approx(expected, abs=1e-4)
    assert 0.99 < shown < 0.999
    _clean(driver, d.base)
    driver.execute_script("window.scrollTo(0, 0)")
    _shot(driver, "link.png")

    # 5. custom dates are whole Viet Nam days, whatever the browser's zone (the end included)
    d1 = time.strftime("%Y-%m-%d", time.gmtime(demo["end"] - 10 * DAY + 7 * 3600))
    d2 = time.strftime("%Y-%m-%d", time.gmtime(demo["end"] - 8 * DAY + 7 * 3600))
    d3 = time.strftime("%Y-%m-%d", time.gmtime(demo["end"] - 7 * DAY + 7 * 3600))
    driver.execute_script("document.getElementById('range-from').value = arguments[0];"
                          "document.getElementById('range-to').value = arguments[1];", d1, d2)
    driver.find_element(By.CSS_SELECTOR, "#custom-range button[type=submit]").click()
    assert browser.wait_ready(driver, range="custom")["error"] == ""
    assert driver.current_url.endswith(f"#from={d1}&to={d2}")
    hist = [u for u in browser.requested_urls(driver) if f"/api/v1/links/{link['id']}/history"
            in u][-1]
    assert hist.endswith(f"&from={d1}&to={d3}&tz=Asia%2FHo_Chi_Minh")
    answer = httpx.get(hist, headers=d.headers("operator"), timeout=30).json()
    assert (answer["from"], answer["to"]) == (f"{d1}T00:00:00+07:00", f"{d3}T00:00:00+07:00")
    assert driver.find_element(By.ID, "tl-from").text.startswith("00:00:00")
    assert "5 phút" in driver.find_element(By.ID, "res-note").text  # 3 days: 5-minute rollups
    _clean(driver, d.base)

    # 6. live: the status line follows the stream (a new poll cycle updates it)
    before = driver.find_element(By.ID, "live-updated").text
    WebDriverWait(driver, 4 * INTERVAL).until(
        lambda x: x.find_element(By.ID, "live-updated").text != before)

    # 7. the A end's device page: its interface with this link, RTT over the period
    driver.find_element(By.CSS_SELECTOR, '#ends tr[data-end="a"] a').click()
    WebDriverWait(driver, 20).until(
        lambda x: x.current_url.endswith(f"/devices/{link['a']['device_id']}"))
    browser.wait_ready(driver, range="24h")
    row = driver.find_element(By.CSS_SELECTOR, f'#interfaces tr[data-link="{link["id"]}"]')
    assert row.find_element(By.CSS_SELECTOR, ".if-status").text == "Hoạt động"
    assert int(driver.find_element(By.ID, "chart-rtt").get_attribute("data-points")) > 200
    assert driver.find_element(By.ID, "config-changes")  # an operator sees the changes
    _clean(driver, d.base)
    _shot(driver, "device.png")


def test_pages_in_english_and_unknown_objects_are_404_with_reason(
        demo: dict[str, Any], driver: Any) -> None:
    d: DemoProcess = demo["demo"]
    driver.get(f"{d.base}/links/{demo['link']['id']}?lang=en")
    browser.wait_ready(driver)
    assert driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en"
    assert "Both ends" in driver.find_element(By.TAG_NAME, "body").text
    assert driver.find_element(By.ID, "live-status").text in ("Up", "Loading…")
    driver.get(f"{d.base}/lang/vi?next=/maps/province")  # the remembered language back to vi
    h = d.headers("operator")
    for path, reason in (("/links/999999", "Không có kênh truyền mã 999999."),
                         ("/devices/999999", "Không có thiết bị mã 999999."),
                         ("/communes/99999?lang=en", "No commune with code 99999.")):
        r = httpx.get(d.base + path, headers=h, timeout=10)
        assert r.status_code == 404 and f'<p id="reason">{reason}</p>' in r.text, path
    r = httpx.get(d.base + "/api/v1/links/999999/availability", headers=h, timeout=10)
    assert r.status_code == 404 and r.json()["detail"] == "no link 999999"

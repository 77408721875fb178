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
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import httpx
import pytest

from provnet.pollers.readings import expand_ifname
from tests.support import browser
from tests.support.demo_history import DAY, LinkPlan, backfill_demo
from tests.support.demo_proc import DemoProcess

pytestmark = pytest.mark.integration
if not browser.available():
    pytest.skip("Debian chromium and chromium-driver are needed (make deps-test)",
                allow_module_level=True)
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

COMMUNE, COMMUNE_NAME, TYPED = "30448", "Xã Phú Thọ", "phu tho"
INTERVAL = 5
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("journey")
    d = DemoProcess(tmp / "state", tmp / "demo.out",
                    ["--duration", "400", "--interval", str(INTERVAL)])
    try:
        health = d.wait_for("InfluxDB and two cycles", lambda: (
            h := d.get("/api/v1/health"))["poller"]["cycles"] >= 2 and h["influxdb"]["ok"]
            and h, 120)
        link = d.get("/api/v1/links", commune=COMMUNE)["items"][0]
        end = int(time.time()) // 3600 * 3600  # the demo's own buckets start after this
        start = end - 32 * DAY
        down = [(end - 20 * DAY, end - 20 * DAY + 3 * 3600),
                (end - 6 * DAY, end - 6 * DAY + 45 * 60)]
        # the PoP's uplink to the core too: the commune's availability needs its whole path
        uplink = next(x for x in d.get("/api/v1/links", device=link["z"]["device"])["items"]
                      if x["a"]["device"] == link["z"]["device"])
        plans = [LinkPlan(x["id"], x["a"]["device"], expand_ifname(x["a"]["ifname"]),
                          x["z"]["device"], expand_ifname(x["z"]["ifname"]), x["commune_code"])
                 for x in (link, uplink)]
        n = backfill_demo(d.state, health["influxdb"]["url"], plans, start, end,
                          {link["id"]: down})
        assert n > 10_000
        yield {"demo": d, "link": link, "down_s": sum(b - a for a, b in down), "end": end}
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
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / name
    driver.save_screenshot(str(path))
    assert path.stat().st_size > 20_000  # a real rendering, not a blank page
    if os.environ.get("PROVNET_UPDATE_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, SCREENSHOTS / name)


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

    # 4. the availability read on the page is the API's for the same period
    value = driver.find_element(By.ID, "avail-value")
    shown = float(value.get_attribute("data-value"))
    asked = [u for u in browser.requested_urls(driver)
             if "/api/v1/reports/availability?level=link" in u][-1]
    api = httpx.get(asked, headers=d.headers("operator"), timeout=30).json()
    mine = next(i for i in api["items"] if i["id"] == str(link["id"]))
    assert shown == pytest.approx(mine["availability_experienced"], abs=2e-6)
    assert value.text == f"{shown * 100:.3f} %"
    # and the hand figure: 3 h 45 min down in the month, the rest up (no-data time excluded)
    expected = 1 - demo["down_s"] / (mine["period_s"] - mine["no_data_s"])
    assert shown == pytest.approx(expected, abs=1e-4)
    assert 0.99 < shown < 0.999
    _clean(driver, d.base)
    driver.execute_script("window.scrollTo(0, 0)")
    _shot(driver, "link.png")

    # 5. live: the status line follows the stream (a new poll cycle updates it)
    before = driver.find_element(By.ID, "live-updated").text
    WebDriverWait(driver, 4 * INTERVAL).until(
        lambda x: x.find_element(By.ID, "live-updated").text != before)

    # 6. the A end's device page: its interface with this link, RTT over the period
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
    driver.get(f"{d.base}/links/999999")
    assert driver.find_element(By.ID, "reason").text == "No link with id 999999."
    driver.get(f"{d.base}/communes/99999?lang=vi")
    assert driver.find_element(By.ID, "reason").text == "Không có xã/phường/thị trấn mã 99999."
    r = httpx.get(f"{d.base}/devices/999999", headers=d.headers("operator"), timeout=10)
    assert r.status_code == 404 and "999999" in r.text
    driver.get(f"{d.base}/lang/vi?next=/")  # leave the remembered language as it was

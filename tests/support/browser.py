"""Real headless Chromium (Debian ``chromium`` + ``chromium-driver``) for page tests and
``bench/pages.py``: nothing off the loopback resolves, the browser console and the network log
are kept, and a page is "drawn" when its ``<body data-ready="1">`` is set by its script."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def available() -> bool:
    """True when Debian's chromium and chromium-driver are installed."""
    return Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()


def start(width: int = 1500, height: int = 1000, lang: str = "vi-VN",
          downloads: Path | None = None, page_load_timeout: float = 60) -> Any:
    """A headless Chromium driven by selenium (the caller quits it); ``downloads``: where a
    clicked download lands."""
    from selenium import webdriver

    os.environ.setdefault("SE_OFFLINE", "true")  # Selenium Manager must never download
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                f"--window-size={width},{height}", f"--lang={lang}", "--no-first-run",
                "--disable-background-networking", "--disable-component-update",
                # anything not on loopback fails to resolve: an off-box asset cannot load
                "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"):
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    drv = webdriver.Chrome(options=opts, service=webdriver.ChromeService(CHROMEDRIVER))
    drv.set_page_load_timeout(page_load_timeout)
    if downloads is not None:
        drv.execute_cdp_cmd("Browser.setDownloadBehavior",
                            {"behavior": "allow", "downloadPath": str(downloads)})
    return drv


def screenshot(driver: Any, name: str, publish: bool = True) -> Path:
    """Save a screenshot under ``tests/artifacts`` (and, with PROVNET_UPDATE_SCREENSHOTS=1
    and ``publish``, into ``docs/screenshots``); fail on a blank rendering."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / name
    driver.save_screenshot(str(path))
    assert path.stat().st_size > 20_000  # a real rendering, not a blank page
    if publish:
        publish_screenshot(path)
    return path


def publish_screenshot(path: Path) -> None:
    """Copy a kept screenshot into ``docs/screenshots`` when PROVNET_UPDATE_SCREENSHOTS=1."""
    if os.environ.get("PROVNET_UPDATE_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, SCREENSHOTS / path.name)


def login(driver: Any, base: str, user: str, password: str, next_: str = "/") -> None:
    """Log in through the real login form (session cookie, CSRF token)."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(f"{base}/login?next={next_}")
    driver.find_element(By.NAME, "username").send_keys(user)
    driver.find_element(By.NAME, "password").send_keys(password)
    driver.find_element(By.CSS_SELECTOR, "form button[type=submit], form button").click()
    WebDriverWait(driver, 30).until(lambda d: "/login" not in d.current_url)


def wait_ready(driver: Any, timeout: float = 60, **attrs: str) -> dict[str, str | None]:
    """Wait until ``body[data-ready=1]`` (and each ``data-<name>`` of ``attrs``); the body's
    ``data-ready-ms``, ``data-load-ms``, ``data-error`` and ``seen-ms`` (when the marker was
    seen, for pages that do not stamp ``data-ready-ms``)."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    want = {f"data-{k.replace('_', '-')}": v for k, v in attrs.items()}
    seen: dict[str, float] = {}

    def ok(d: Any) -> bool:
        got = d.execute_script(
            "const b = document.body; if (!b || b.getAttribute('data-ready') !== '1') "
            "return null; const a = {}; for (const n of arguments[0]) a[n] = b.getAttribute(n);"
            " return [a, performance.now()];", list(want))
        if got is None or got[0] != want:
            return False
        seen["ms"] = float(got[1])
        return True

    WebDriverWait(driver, timeout, poll_frequency=0.02).until(ok)
    body = driver.find_element(By.TAG_NAME, "body")
    out = {k: body.get_attribute(f"data-{k}") for k in ("ready-ms", "load-ms", "error")}
    # a page that does not stamp data-ready-ms: when the marker was seen (<= 20 ms late)
    out["seen-ms"] = f"{seen['ms']:.0f}"
    return out


def requested_urls(driver: Any) -> list[str]:
    """Every URL the browser asked for since the last call (network log + resource timing)."""
    urls = []
    for entry in driver.get_log("performance"):
        msg = json.loads(entry["message"])["message"]
        if msg["method"] == "Network.requestWillBeSent":
            urls.append(msg["params"]["request"]["url"])
    urls += driver.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)")
    return urls


def off_origin(urls: list[str], base: str) -> list[str]:
    """The URLs that left the app's origin."""
    return [u for u in urls if u.startswith(("http:", "https:", "ws:", "wss:"))
            and not u.startswith(base + "/") and u != base]


def console_errors(driver: Any) -> list[str]:
    """SEVERE browser console entries since the last call (JS errors, CSP refusals, 4xx/5xx
    of resources)."""
    return [e["message"] for e in driver.get_log("browser") if e.get("level") == "SEVERE"]

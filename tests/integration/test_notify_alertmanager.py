"""The Alertmanager channel against the real Prometheus Alertmanager (Debian package
``prometheus-alertmanager``): firing then resolved, read back from ``/api/v2/alerts`` and
from Alertmanager's own webhook notifications (``send_resolved``) to a loopback receiver."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from provnet.alerts.notify.outbox import Outbox
from provnet.config.notify import NotifierSettings
from provnet.inventory.store import open_store
from tests.support.helpers import free_port, stop_process
from tests.support.notify_cases import case
from tests.support.notify_receivers import HttpReceiver

pytestmark = pytest.mark.integration
BINARY = "prometheus-alertmanager"


@dataclass
class Alertmanager:
    url: str
    hook: HttpReceiver  # where Alertmanager sends its own notifications

    def alerts(self, **params: str) -> list[dict[str, Any]]:
        resp = httpx.get(f"{self.url}/api/v2/alerts", params=params, timeout=5)
        resp.raise_for_status()
        return list(resp.json())

    def hook_alerts(self) -> list[tuple[str, dict[str, str]]]:
        """(status, labels) of every alert in every webhook notification Alertmanager sent."""
        return [(a["status"], a["labels"]) for body in self.hook.bodies() for a in body["alerts"]]


CONFIG = """\
route:
  receiver: hook
  group_by: [provnet_incident]
  group_wait: 100ms
  group_interval: 500ms
  repeat_interval: 1h
receivers:
  - name: hook
    webhook_configs:
      - url: {hook}/am
        send_resolved: true
"""


@pytest.fixture
def alertmanager(tmp_path: Path) -> Iterator[Alertmanager]:
    if shutil.which(BINARY) is None:
        pytest.skip(f"{BINARY} is not installed (apt-get install prometheus-alertmanager)")
    hook = HttpReceiver().start()
    (tmp_path / "am.yml").write_text(CONFIG.format(hook=hook.url))
    port = free_port()
    proc = subprocess.Popen(
        [
            BINARY,
            f"--config.file={tmp_path / 'am.yml'}",
            f"--storage.path={tmp_path / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--cluster.listen-address=",
        ],
        stdout=subprocess.DEVNULL,
        stderr=(tmp_path / "am.log").open("wb"),
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                if httpx.get(f"{url}/-/ready", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert proc.poll() is None, (tmp_path / "am.log").read_text()
            assert time.monotonic() < deadline, "alertmanager did not become ready"
            time.sleep(0.1)
        yield Alertmanager(url, hook)
    finally:
        stop_process(proc)
        hook.stop()


def wait_for(predicate: Any, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.1)


def test_firing_then_resolved_through_alertmanager(
    alertmanager: Alertmanager, tmp_path: Path
) -> None:
    store = open_store(f"sqlite:///{tmp_path}/provnet.db")
    settings = NotifierSettings.model_validate(
        {"alertmanager": {"enabled": True, "url": alertmanager.url, "timeout_s": 5}}
    )
    outbox = Outbox(store, settings)
    started = datetime.now(UTC).replace(microsecond=0)
    firing = case("firing-vi")
    firing = replace(firing, incident=replace(firing.incident, started_at=started))
    outbox.enqueue(firing)
    assert asyncio.run(outbox.deliver_due()) == 1

    [alert] = alertmanager.alerts()
    assert alert["status"]["state"] == "active"
    assert alert["labels"]["alertname"] == "ProvnetIncident"
    assert alert["labels"]["provnet_incident"] == "12"
    assert alert["labels"]["root_site"] == "POP-891"
    assert alert["annotations"]["summary"] == "PoP Tri Tôn down"
    assert "UBND xã Ô Lâm" in alert["annotations"]["description"]
    fingerprint = alert["fingerprint"]
    wait_for(lambda: ("firing", alert["labels"]) in alertmanager.hook_alerts())

    acked = case("acknowledged-en")
    acked = replace(acked, incident=replace(acked.incident, started_at=started))
    outbox.enqueue(acked)
    assert asyncio.run(outbox.deliver_due()) == 1
    [again] = alertmanager.alerts()  # re-posted: the same alert, updated
    assert again["fingerprint"] == fingerprint
    assert again["annotations"]["acknowledged_by"] == "Nguyễn Văn An"

    resolved = case("resolved-vi")
    resolved = replace(
        resolved,
        incident=replace(resolved.incident, started_at=started, resolved_at=datetime.now(UTC)),
    )
    outbox.enqueue(resolved)
    assert asyncio.run(outbox.deliver_due()) == 1
    # Same labels, same fingerprint: the one alert is resolved, not a second one created.
    assert alertmanager.alerts() == []  # the v2 list shows only alerts not yet ended
    wait_for(lambda: ("resolved", alert["labels"]) in alertmanager.hook_alerts())
    statuses = [s for s, labels in alertmanager.hook_alerts() if labels == alert["labels"]]
    assert statuses[0] == "firing" and statuses[-1] == "resolved"
    assert {
        a["labels"]["provnet_incident"] for b in alertmanager.hook.bodies() for a in b["alerts"]
    } == {"12"}
    store.close()


def test_open_incident_is_kept_firing_and_resolution_ends_it(
    alertmanager: Alertmanager, tmp_path: Path
) -> None:
    """firing_ttl_s=3: without the refresh every 1 s, Alertmanager would end it after 3 s."""
    store = open_store(f"sqlite:///{tmp_path}/provnet.db")
    settings = NotifierSettings.model_validate(
        {
            "alertmanager": {"enabled": True, "url": alertmanager.url, "firing_ttl_s": 3},
            "poll_interval_s": 0.2,
        }
    )
    outbox = Outbox(store, settings)
    started = datetime.now(UTC)
    firing = case("firing-vi")
    firing = replace(firing, incident=replace(firing.incident, started_at=started))
    resolved = case("resolved-vi")
    resolved = replace(
        resolved, incident=replace(resolved.incident, started_at=started, resolved_at=None)
    )
    seen: dict[str, Any] = {}

    async def scenario() -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(outbox.run(stop))
        outbox.enqueue(firing)
        await asyncio.sleep(5)
        seen["after_5s"] = await asyncio.to_thread(alertmanager.alerts)
        outbox.enqueue(resolved)
        await asyncio.sleep(2.5)  # two refresh periods: a resolved incident is not re-posted
        seen["after_resolution"] = await asyncio.to_thread(alertmanager.alerts)
        stop.set()
        await task

    asyncio.run(scenario())
    [alert] = seen["after_5s"]
    assert alert["status"]["state"] == "active" and alert["labels"]["provnet_incident"] == "12"
    assert seen["after_resolution"] == []
    store.close()

"""NetBox sync with pynetbox against recorded NetBox 4.x API responses served over HTTP.

``tests/data/netbox/<case>/`` holds the JSON bodies NetBox returns for each list endpoint
(``dcim_sites.json`` for ``/api/dcim/sites/``, ...; written by hand to NetBox 4.x's response
shapes, no NetBox server being available here) and ``expected/`` the inventory after the run,
as ``provnet inventory export`` writes it. Case ``full``: first run (sites with coordinates,
active devices only, interfaces, an interface-to-interface cable, a circuit whose two
terminations are cabled to interfaces). Case ``incremental``: the next run, asked with
``last_updated__gte``: a changed device, a new site, device and cable, and a device deleted
(with its interface and cable) read from ``/api/core/object-changes/``.
"""

from __future__ import annotations

import filecmp
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from provnet.inventory.io_spec import KINDS
from provnet.inventory.netbox_sync import PynetboxSource, sync
from provnet.inventory.store import Store, open_store
from provnet.inventory.transfer import export, import_rows
from provnet.units_source import unit_rows

pytestmark = pytest.mark.integration
DATA = Path(__file__).parents[1] / "data" / "netbox"
TOKEN = "0123456789abcdef0123456789abcdef01234567"


class Recorded(ThreadingHTTPServer):
    """Answers ``/api/<app>/<endpoint>/`` with the case's recorded JSON; logs the queries."""

    case: Path
    seen: list[tuple[str, dict[str, list[str]]]]


class Handler(BaseHTTPRequestHandler):
    server: Recorded

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        self.server.seen.append((url.path, parse_qs(url.query)))
        auth = self.headers.get("Authorization", "")
        parts = [p for p in url.path.split("/") if p]
        body_file = self.server.case / f"{'_'.join(parts[1:])}.json"
        if auth != f"Token {TOKEN}":
            self._send(403, {"detail": "Invalid token"})
        elif parts[:1] != ["api"] or not body_file.exists():
            self._send(404, {"detail": "Not found."})
        else:
            self._send(200, json.loads(body_file.read_text(encoding="utf-8")))

    def _send(self, code: int, body: object) -> None:
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("API-Version", "4.2")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        return


@pytest.fixture()
def netbox() -> Iterator[Recorded]:
    srv = Recorded(("127.0.0.1", 0), Handler)
    srv.seen = []
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    try:
        yield srv
    finally:
        srv.shutdown()
        srv.server_close()
        t.join(5)


def _store(tmp: Path) -> Store:
    store = open_store(f"sqlite:///{tmp / 'inv.sqlite'}")
    assert import_rows(store, unit_rows("89", "legacy"), []).ok  # An Giang's real units
    return store


def _same(store: Store, expected: Path, tmp: Path) -> None:
    out = tmp / f"export-{expected.parent.name}"
    export(store, out)
    for kind in ("sites", "devices", "interfaces", "links"):
        got, want = out / f"{kind}.csv", expected / f"{kind}.csv"
        assert filecmp.cmp(got, want, shallow=False), (
            f"{kind}:\n{got.read_text(encoding='utf-8')}\n!=\n{want.read_text(encoding='utf-8')}")


def test_full_then_incremental_with_deletions(netbox: Recorded, tmp_path: Path) -> None:
    store = _store(tmp_path)
    url = f"http://127.0.0.1:{netbox.server_address[1]}"
    netbox.case = DATA / "full"
    dry = sync(store, PynetboxSource(url, TOKEN), tmp_path, url, {"tag": "provnet"},
               dry_run=True)
    assert dry.ok, dry.issues
    assert not (tmp_path / "netbox_sync.json").exists()  # a dry run remembers nothing
    plan = sync(store, PynetboxSource(url, TOKEN), tmp_path, url, {"tag": "provnet"})
    assert plan.ok, plan.issues
    assert plan.counts() == {"sites": (4, 0, 0), "devices": (4, 0, 0),
                             "interfaces": (7, 0, 0), "links": (3, 0, 0)}
    _same(store, DATA / "full" / "expected", tmp_path)
    asked = {path: q for path, q in netbox.seen}
    assert asked["/api/dcim/devices/"]["tag"] == ["provnet"]
    assert "last_updated__gte" not in asked["/api/dcim/devices/"]
    assert "/api/core/object-changes/" not in asked  # nothing to delete on a first run

    netbox.seen.clear()
    netbox.case = DATA / "incremental"
    plan = sync(store, PynetboxSource(url, TOKEN), tmp_path, url, {"tag": "provnet"})
    assert plan.ok, plan.issues
    assert plan.counts() == {"sites": (1, 0, 0), "devices": (1, 1, 1),
                             "interfaces": (2, 0, 1), "links": (1, 0, 1)}
    _same(store, DATA / "incremental" / "expected", tmp_path)
    asked = {path: q for path, q in netbox.seen}
    state = json.loads((tmp_path / "netbox_sync.json").read_text(encoding="utf-8"))
    assert asked["/api/dcim/interfaces/"]["last_updated__gte"][0] <= state["last_sync"]
    assert asked["/api/core/object-changes/"]["action"] == ["delete"]
    assert "4" not in state["ids"]["devices"]  # lq1 forgotten
    # the same run again: nothing to do
    again = sync(store, PynetboxSource(url, TOKEN), tmp_path, url, {"tag": "provnet"})
    assert again.ok and not any(again.diff.values())
    store.close()


def test_bad_token_is_an_error_naming_netbox(netbox: Recorded, tmp_path: Path) -> None:
    from provnet.inventory.errors import InventoryError

    store = _store(tmp_path)
    url = f"http://127.0.0.1:{netbox.server_address[1]}"
    netbox.case = DATA / "full"
    with pytest.raises(InventoryError, match="NetBox"):
        sync(store, PynetboxSource(url, "wrong"), tmp_path, url)
    store.close()
    assert set(KINDS) >= {"sites", "devices"}


def test_serve_syncs_on_a_schedule(netbox: Recorded, tmp_path: Path,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    import asyncio

    from provnet.config.settings import load_settings
    from provnet.features.inventory import netbox_task
    from provnet.service import Service

    store = _store(tmp_path)
    url = f"http://127.0.0.1:{netbox.server_address[1]}"
    netbox.case = DATA / "full"
    monkeypatch.setenv("PROVNET_TEST_NB_TOKEN", TOKEN)
    settings = load_settings(state_dir=tmp_path, netbox={
        "url": url, "token_env": "PROVNET_TEST_NB_TOKEN", "filters": {"tag": "provnet"}})
    service = Service(settings, store)

    async def run_once() -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(netbox_task(service)(stop))
        for _ in range(100):
            await asyncio.sleep(0.1)
            if (tmp_path / "netbox_sync.json").exists():
                break
        stop.set()
        await task

    asyncio.run(run_once())
    _same(store, DATA / "full" / "expected", tmp_path)
    store.close()

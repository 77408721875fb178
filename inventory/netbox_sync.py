"""NetBox as the source of truth: fetch (pynetbox), map (:mod:`.netbox`), import.

The first run (or ``full``) reads every site, device, interface, cable, circuit and circuit
termination (``filters`` such as ``tag=provnet`` narrow sites, devices and circuits); later
runs ask only for objects with ``last_updated__gte`` the previous run's start and read
deletions from the change log (``/api/core/object-changes/?action=delete&time_after=``).
State (the last run's time, NetBox ids -> provnet keys) lives in ``netbox_sync.json`` under
the state directory. A deleted device takes its interfaces and their links with it, as in
NetBox. Everything goes through the import's checks and its one transaction.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy.exc import SQLAlchemyError

from provnet.inventory import version
from provnet.inventory.apply import apply_diff
from provnet.inventory.errors import InventoryError
from provnet.inventory.importer import ImportPlan, plan_import
from provnet.inventory.io_spec import Key
from provnet.inventory.netbox import IdMap, NetboxData, deleted_keys, netbox_rows
from provnet.inventory.snapshot import Snapshot, snapshot
from provnet.inventory.store import Store

STATE_FILE = "netbox_sync.json"


class NetboxSource(Protocol):
    """Reads NetBox's objects (the real one: :class:`PynetboxSource`)."""

    def fetch(self, since: str | None, filters: Mapping[str, str]) -> NetboxData:
        """Every object (``since`` None) or those changed since, with the deletions."""
        ...


class PynetboxSource:
    """NetBox's REST API through pynetbox."""

    def __init__(self, url: str, token: str) -> None:
        import pynetbox

        self.api = pynetbox.api(url, token=token)

    def fetch(self, since: str | None, filters: Mapping[str, str]) -> NetboxData:
        import pynetbox

        changed = {"last_updated__gte": since} if since else {}
        flt = {**filters, **changed}

        def rows(endpoint: Any, **kw: Any) -> list[Mapping[str, Any]]:
            return [dict(r) for r in endpoint.filter(**kw)]

        try:
            a = self.api
            return NetboxData(
                sites=rows(a.dcim.sites, **flt), devices=rows(a.dcim.devices, **flt),
                interfaces=rows(a.dcim.interfaces, **changed),
                cables=rows(a.dcim.cables, **changed), circuits=rows(a.circuits.circuits, **flt),
                terminations=rows(a.circuits.circuit_terminations, **changed),
                changes=rows(a.core.object_changes, action="delete", time_after=since)
                if since else [])
        except (pynetbox.RequestError, pynetbox.ContentError, OSError) as exc:
            raise InventoryError(f"NetBox: {exc}") from exc
        except Exception as exc:  # requests' own errors (connection refused, TLS, ...)
            if type(exc).__module__.startswith("requests"):
                raise InventoryError(f"NetBox unreachable: {exc}") from exc
            raise


@dataclasses.dataclass
class SyncState:
    """What a sync remembers between runs."""

    url: str = ""
    last_sync: str | None = None
    ids: IdMap = dataclasses.field(default_factory=IdMap)

    @classmethod
    def load(cls, path: Path, url: str) -> SyncState:
        if not path.exists():
            return cls(url)
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise InventoryError(f"{path}: unreadable sync state: {exc}") from exc
        if raw.get("url") != url:
            return cls(url)  # another NetBox: start over
        return cls(url, raw.get("last_sync"), IdMap(**raw.get("ids", {})))

    def save(self, path: Path) -> None:
        path.write_text(json.dumps({"url": self.url, "last_sync": self.last_sync,
                                    "ids": dataclasses.asdict(self.ids)}, indent=1),
                        encoding="utf-8")


def _cascade(remove: dict[str, set[Key]], snap: Snapshot) -> None:
    """A device removed in NetBox took its interfaces and their links with it."""
    devices = {k[0] for k in remove.get("devices", set())}
    if not devices:
        return
    ifaces = {k for k in snap["interfaces"] if k[0] in devices}
    remove.setdefault("interfaces", set()).update(ifaces)
    for key, rec in snap["links"].items():
        if (rec["side_a_device"], rec["side_a_name"]) in ifaces or \
                (rec["side_b_device"], rec["side_b_name"]) in ifaces:
            remove.setdefault("links", set()).add(key)


def sync(store: Store, source: NetboxSource, state_dir: Path, url: str,
         filters: Mapping[str, str] | None = None, dry_run: bool = False, full: bool = False,
         actor: str = "netbox", now: dt.datetime | None = None,
         poller_groups: Collection[str] | None = None) -> ImportPlan:
    """One sync run; the plan tells what was (or would be) added, changed and removed
    (``poller_groups``: the ``cluster.groups`` names a ``poller_group`` must be one of)."""
    path = state_dir / STATE_FILE
    state = SyncState(url) if full else SyncState.load(path, url)
    started = (now or dt.datetime.now(dt.UTC)).isoformat().replace("+00:00", "Z")
    data = source.fetch(state.last_sync, filters or {})
    ids = IdMap(**dataclasses.asdict(state.ids))
    try:
        with store.session() as s:
            snap = snapshot(s)
            rows, issues = netbox_rows(data, ids)
            remove = deleted_keys(data.changes, ids)
            _cascade(remove, snap)
            plan = plan_import(rows, snap, False, issues, remove, poller_groups)
            if plan.ok and not dry_run and any(plan.diff.values()):
                apply_diff(s, plan.diff)
                version.bump(s)
                version.record(s, actor, "netbox", url, "sync", None,
                               {k: dict(zip(("added", "changed", "removed"), v, strict=True))
                                for k, v in plan.counts().items()})
    except SQLAlchemyError as exc:
        raise InventoryError(f"NetBox sync failed, nothing written: {exc}") from exc
    if plan.ok and not dry_run:
        state_dir.mkdir(parents=True, exist_ok=True)
        SyncState(url, started, ids).save(path)
    return plan

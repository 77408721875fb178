"""A small inventory for SSH tests: one site, devices by hostname."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from provnet.inventory.model import Device, Site
from provnet.inventory.store import Store, open_store


def seed_devices(store: Store, hostnames: list[str], platform_of: dict[str, str] | None = None
                 ) -> dict[str, int]:
    """Create a site and one router per hostname; return hostname -> device id."""
    with store.session() as s:
        site = Site(code="AG-TEST", name="Trạm thử", name_folded="tram thu", kind="pop",
                    lat=10.38, lon=105.43)
        s.add(site)
        s.flush()
        devs = [Device(hostname=h, site_id=site.id, role="pop", vendor="x",
                       platform=(platform_of or {}).get(h, "huawei_vrp" if "pop" in h
                                                        else "cisco_ios"),
                       mgmt_address="127.0.0.1") for h in hostnames]
        s.add_all(devs)
        s.flush()
        return {d.hostname: d.id for d in devs}


@contextmanager
def sqlite_store_at(directory: Path) -> Iterator[Store]:
    """A migrated SQLite inventory in ``directory``, closed after."""
    store = open_store(f"sqlite:///{directory / 'inv.sqlite'}")
    try:
        yield store
    finally:
        store.close()

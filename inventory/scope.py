"""Which district each object belongs to, for district-scoped users (issue 13).

One index per inventory version: device id, link id (by its downstream A end), site code (its
district, else its commune's district) and
commune code (legacy: its parent district; 2025: the districts of the legacy communes mapped
to it) -> district codes. A district code maps to itself. Rebuilt when the inventory version
moves, read again at most every ``ttl_s`` seconds.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from provnet.inventory import model, version
from provnet.inventory.store import Store


@dataclass(frozen=True)
class DistrictIndex:
    """Object -> district code(s); an object absent here is unknown (the route says 404)."""

    devices: dict[int, str | None] = field(default_factory=dict)
    links: dict[int, str | None] = field(default_factory=dict)
    sites: dict[str, str | None] = field(default_factory=dict)
    communes: dict[str, frozenset[str]] = field(default_factory=dict)  # any generation


def build_index(store: Store) -> DistrictIndex:
    """Read the index from the store."""
    unit, parent = aliased(model.AdminUnit), aliased(model.AdminUnit)
    district = aliased(model.AdminUnit)
    with store.session() as s:
        units = s.execute(select(unit.id, unit.generation, unit.level, unit.code, parent.code)
                          .outerjoin(parent, unit.parent_id == parent.id)).all()
        mappings = s.execute(select(model.AdminUnitMapping.old_unit_id,
                                    model.AdminUnitMapping.new_unit_id)).all()
        commune, commune_parent = aliased(model.AdminUnit), aliased(model.AdminUnit)
        sites = s.execute(select(model.Site.id, model.Site.code,
                                 func.coalesce(district.code, commune_parent.code))
                          .outerjoin(district, model.Site.district_id == district.id)
                          .outerjoin(commune, model.Site.commune_id == commune.id)
                          .outerjoin(commune_parent, commune.parent_id == commune_parent.id)
                          ).all()
        devices = s.execute(select(model.Device.id, model.Device.site_id)).all()
        a_ends = s.execute(select(model.Link.id, model.Interface.device_id)
                           .join(model.Interface, model.Link.a_interface_id == model.Interface.id)
                           ).all()
    by_id = {i: (g, lv, c, p) for i, g, lv, c, p in units}
    communes: dict[str, set[str]] = defaultdict(set)
    for _i, (g, lv, code, p) in by_id.items():
        if g == "legacy" and lv == "commune" and p:
            communes[code].add(p)
        if lv == "district":
            communes[code].add(code)
    for old, new in mappings:
        o, n = by_id.get(old), by_id.get(new)
        if o and n and o[1] == "commune" and o[3]:
            communes[n[2]].add(o[3])
    site_district = {sid: d for sid, _c, d in sites}
    dev = {i: site_district.get(site) for i, site in devices}
    return DistrictIndex(devices=dev, links={i: dev.get(d) for i, d in a_ends},
                         sites={c: d for _i, c, d in sites},
                         communes={k: frozenset(v) for k, v in communes.items()})


class IndexCache:
    """The index of the current inventory version (checked at most every ``ttl_s``)."""

    def __init__(self, store: Store, ttl_s: float = 2.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.store, self.ttl_s, self.clock = store, ttl_s, clock
        self._lock = threading.Lock()
        self._index: DistrictIndex | None = None
        self._version = -1
        self._checked = float("-inf")

    def __call__(self) -> DistrictIndex:
        with self._lock:
            now = self.clock()
            if self._index is not None and now - self._checked < self.ttl_s:
                return self._index
            with self.store.session() as s:
                v = version.current(s)
            if self._index is None or v != self._version:
                self._index, self._version = build_index(self.store), v
            self._checked = now
            return self._index

"""What the alert layer needs from the inventory, read once into plain records."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from provnet.alerts.observe import LinkEnd
from provnet.inventory import model, queries
from provnet.inventory.topology import Topology


@dataclass(frozen=True, slots=True)
class DeviceInfo:
    """A device with its site and units (names with diacritics)."""

    id: int
    hostname: str
    role: str
    site_code: str
    site_name: str
    site_kind: str
    site_contact: str | None
    commune_code: str | None
    commune_name: str | None
    district_code: str | None
    district_name: str | None

    def labels(self) -> dict[str, str]:
        """Observation labels (stable codes) used by rules, overrides and silences."""
        out = {"device": self.hostname, "device_id": str(self.id), "site": self.site_code,
               "role": self.role}
        if self.district_code:
            out["district"] = self.district_code
        if self.commune_code:
            out["commune"] = self.commune_code
        return out


@dataclass(frozen=True, slots=True)
class LinkInfo:
    """A link's two ends."""

    id: int
    a_device: int
    z_device: int
    a_site: str
    z_site: str


@dataclass
class InventoryView:
    """Devices, links and the topology."""

    devices: dict[int, DeviceInfo]
    links: dict[int, LinkInfo]
    topology: Topology

    def link_ends(self) -> dict[int, dict[int, LinkEnd]]:
        """device id -> ifindex -> link end (for the observation adapter)."""
        return dict(self._ends)

    def __post_init__(self) -> None:
        self._ends: dict[int, dict[int, LinkEnd]] = {}

    def link_labels(self, link_id: int) -> dict[str, str]:
        """Labels of a link: those of its downstream (A) device plus the link id."""
        lk = self.links[link_id]
        base = self.devices[lk.a_device].labels() if lk.a_device in self.devices else {}
        return {**base, "link": str(link_id), "z_site": lk.z_site}


def load_view(s: Session) -> InventoryView:
    """Read devices, links and topology from the inventory."""
    commune, district = aliased(model.AdminUnit), aliased(model.AdminUnit)
    rows = s.execute(
        select(model.Device, model.Site, commune, district)
        .join(model.Site, model.Device.site_id == model.Site.id)
        .outerjoin(commune, model.Site.commune_id == commune.id)
        .outerjoin(district, model.Site.district_id == district.id)).all()
    devices = {
        d.id: DeviceInfo(d.id, d.hostname, d.role, st.code, st.name, st.kind, st.contact,
                         c.code if c else None, c.name if c else None,
                         di.code if di else None, di.name if di else None)
        for d, st, c, di in rows}
    records = queries.links(s)
    links = {r.id: LinkInfo(r.id, r.a_device_id, r.z_device_id, r.a_site_code, r.z_site_code)
             for r in records}
    view = InventoryView(devices, links, queries.topology(s))
    for r in records:
        view._ends.setdefault(r.a_device_id, {})[r.a_ifindex] = LinkEnd(r.id, "a")
        view._ends.setdefault(r.z_device_id, {})[r.z_ifindex] = LinkEnd(r.id, "z")
    return view

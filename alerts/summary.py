"""Pure descriptions of incidents: title and root cause (as :class:`Phrase`, both languages),
root site and district, affected sites."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

from provnet.alerts.causes import Phrase
from provnet.alerts.rootcause import Element
from provnet.alerts.view import DeviceInfo, InventoryView


@dataclass(frozen=True, slots=True)
class Described:
    """Title, root cause, root site and district of a group."""

    title: Phrase
    cause: Phrase
    site: str | None
    district: str | None


def affected_sites(view: InventoryView, devices: Collection[int],
                   alerts_by_device: Mapping[int, str]) -> list[dict[str, str | None]]:
    """One row per cut-off or alerting site, sorted by site code (JSON-ready)."""
    rows: dict[str, dict[str, str | None]] = {}
    for d in devices:
        info = view.devices.get(d)
        if info is None:
            continue
        rows.setdefault(info.site_code, {
            "site_code": info.site_code, "site_name": info.site_name,
            "site_kind": info.site_kind, "commune": info.commune_name,
            "district": info.district_name, "alert": alerts_by_device.get(d, "cut_off")})
    return [rows[k] for k in sorted(rows)]


def cut_counts(view: InventoryView, cut: Collection[int],
               exclude: int | None) -> list[list[str | int]]:
    """``[[kind, count], ...]`` of the cut-off devices but ``exclude``, most first."""
    counts: dict[str, int] = {}
    for d in cut:
        info = view.devices.get(d)
        if info is not None and d != exclude:
            counts[info.site_kind] = counts.get(info.site_kind, 0) + 1
    return [[k, n] for k, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]


def describe_root(view: InventoryView, root: Element, cut: Collection[int]) -> Described:
    """Title and cause of a topology root (a down link or an unreachable device)."""
    if root.kind == "link":
        lk = view.links.get(root.id)
        if lk is None:
            return Described(Phrase("title.link_unknown", {"link": root.id}),
                             Phrase("cause.link_unknown", {"link": root.id}), None, None)
        a = view.devices.get(lk.a_device)
        cause = Phrase("cause.link", {"link": root.id, "a": lk.a_site, "z": lk.z_site})
        if a is not None and lk.a_device in cut:
            title = Phrase("title.link_cut", {"site": a.site_name,
                                              "cut": cut_counts(view, cut, a.id)})
            return Described(title, cause, a.site_code, a.district_code)
        name = a.site_name if a else lk.a_site
        return Described(Phrase("title.link", {"a": name, "z": lk.z_site}), cause, lk.a_site,
                         a.district_code if a else None)
    dev: DeviceInfo | None = view.devices.get(root.id)
    if dev is None:
        return Described(Phrase("title.device_unknown", {"device": root.id}),
                         Phrase("cause.device_unknown", {"device": root.id}), None, None)
    return Described(Phrase("title.device", {"site": dev.site_name,
                                             "cut": cut_counts(view, cut, dev.id)}),
                     Phrase("cause.device", {"host": dev.hostname, "site": dev.site_code}),
                     dev.site_code, dev.district_code)


def describe_alert(view: InventoryView, rule: str, summary: str, entity: str,
                   labels: Mapping[str, str], value: float | None) -> Described:
    """Title and cause of a lone alert (utilisation, errors, optics, ...); the rule's
    ``summary`` is "Vietnamese / English". A remote poller node (``node:<name>``) has its
    own phrases."""
    if entity.startswith("node:"):
        params = {"node": labels.get("node", entity[5:]), "devices": labels.get("devices", "?")}
        return Described(Phrase("title.node", params), Phrase("cause.node", params), None, None)
    site = labels.get("site")
    dev_id = labels.get("device_id")
    info = view.devices.get(int(dev_id)) if dev_id and dev_id.isdigit() else None
    where = info.site_name if info else (site or entity)
    vi, _, en = summary.partition(" / ")
    en = en[:1].upper() + en[1:]  # "high utilisation" -> "High utilisation: ..."
    what = {"vi": vi or rule, "en": en or vi or rule}
    title = Phrase("title.alert", {"what": what, "where": where,
                                   "port": labels.get("ifname", "")})
    cause = Phrase("cause.alert", {"rule": rule, "entity": entity, "value": value})
    return Described(title, cause, info.site_code if info else site,
                     info.district_code if info else labels.get("district"))

"""Pure text and lists for incidents: titles (Vietnamese), root cause, affected sites."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

from provnet.alerts.rootcause import Element
from provnet.alerts.view import DeviceInfo, InventoryView

KIND_VI = {"commune_office": "trụ sở UBND xã", "pop": "PoP", "department": "sở, ngành",
           "core": "lõi", "bts": "trạm BTS"}


@dataclass(frozen=True, slots=True)
class Described:
    """Title, root cause text, root site and district of a group."""

    title: str
    root_cause: str
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


def _cut_suffix(view: InventoryView, cut: Collection[int], exclude: int | None) -> str:
    counts: dict[str, int] = {}
    for d in cut:
        info = view.devices.get(d)
        if info is not None and d != exclude:
            counts[info.site_kind] = counts.get(info.site_kind, 0) + 1
    parts = [f"{n} {KIND_VI.get(k, k)}" for k, n in sorted(counts.items(), key=lambda kv:
                                                             (-kv[1], kv[0]))]
    return f": {', '.join(parts)} bị cô lập" if parts else ""


def describe_root(view: InventoryView, root: Element, cut: Collection[int]) -> Described:
    """Title and cause of a topology root (a down link or an unreachable device)."""
    if root.kind == "link":
        lk = view.links.get(root.id)
        if lk is None:
            return Described(f"Link {root.id} mất kết nối", f"link {root.id} down", None, None)
        a = view.devices.get(lk.a_device)
        cause = f"link {root.id} ({lk.a_site} ↔ {lk.z_site}) down"
        if a is not None and lk.a_device in cut:
            return Described(f"{a.site_name} mất kết nối{_cut_suffix(view, cut, a.id)}",
                             cause, a.site_code, a.district_code)
        name = a.site_name if a else lk.a_site
        return Described(f"Đường truyền {name} ↔ {lk.z_site} mất kết nối", cause, lk.a_site,
                         a.district_code if a else None)
    dev: DeviceInfo | None = view.devices.get(root.id)
    if dev is None:
        return Described(f"Thiết bị {root.id} không truy cập được",
                         f"device {root.id} unreachable", None, None)
    return Described(f"{dev.site_name} không truy cập được{_cut_suffix(view, cut, dev.id)}",
                     f"device {dev.hostname} ({dev.site_code}) unreachable", dev.site_code,
                     dev.district_code)


def describe_alert(view: InventoryView, rule: str, summary: str, entity: str,
                   labels: Mapping[str, str], value: float | None) -> Described:
    """Title and cause of a lone alert (utilisation, errors, optics, ...)."""
    site = labels.get("site")
    dev_id = labels.get("device_id")
    info = view.devices.get(int(dev_id)) if dev_id and dev_id.isdigit() else None
    where = info.site_name if info else (site or entity)
    what = summary.split(" / ")[0] if summary else rule
    port = f" {labels['ifname']}" if "ifname" in labels else ""
    shown = "" if value is None else f" = {value:g}"
    return Described(f"{what}: {where}{port}", f"{rule} on {entity}{shown}",
                     info.site_code if info else site,
                     info.district_code if info else labels.get("district"))

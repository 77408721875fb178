"""The engineer's pages: ``/links/{link_id}``, ``/devices/{device_id}``, ``/communes/{code}``.

Each page is rendered with what the inventory knows (names, ends, ports, BTS); the live state,
the charts, percentiles, timelines, availability and incidents are read by the page's script
from the existing API (``/api/v1/links/{id}/history`` and friends) and kept live from the event
stream. The page's words (vi/en) travel in its ``page-data`` block.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, Response

from provnet.api.ui.eng_text import ENG
from provnet.api.ui.render import LangQ, page_lang, render
from provnet.api.ui.text import shell_text
from provnet.inventory import page_queries, queries
from provnet.inventory.queries import DeviceRecord, LinkRecord
from provnet.inventory.store import Store

DbId = Annotated[int, Path(ge=0, le=2**31 - 1)]
Code = Annotated[str, Path(max_length=10, pattern=r"^[0-9A-Za-z_-]+$")]
HTML_404: dict[int | str, dict[str, Any]] = {
    404: {"description": "unknown object (HTML page with the reason)",
          "content": {"text/html": {}}}}
#: the words the pages' scripts need (the whole table: small, and one place to edit)
WORDS = tuple(ENG["vi"])


def _end(rec: LinkRecord, side: str) -> dict[str, Any]:
    g = lambda f: getattr(rec, f"{side}_{f}")  # noqa: E731
    return {"device_id": g("device_id"), "device": g("device"), "ifindex": g("ifindex"),
            "ifname": g("ifname"), "site_code": g("site_code"), "site_name": g("site_name")}


def _link(rec: LinkRecord) -> dict[str, Any]:
    return {"id": rec.id, "kind": rec.kind, "capacity_mbps": rec.capacity_mbps,
            "provider": rec.provider, "circuit_id": rec.circuit_id,
            "commune_code": rec.commune_code, "district_code": rec.district_code,
            "name": rec.circuit_id or f"{rec.a_device} – {rec.z_device}",
            "a": _end(rec, "a"), "z": _end(rec, "z")}


def _device(d: DeviceRecord) -> dict[str, Any]:
    return {"id": d.id, "hostname": d.hostname, "role": d.role, "vendor": d.vendor,
            "platform": d.platform, "mgmt_address": d.mgmt_address, "site_code": d.site_code,
            "site_kind": d.site_kind, "commune_code": d.commune_code,
            "district_code": d.district_code}


def eng_pages_router(store: Store, links: Callable[[], list[LinkRecord]] | None = None
                     ) -> APIRouter:
    """The three pages over the inventory ``store`` (``links``: the cached link list)."""
    r = APIRouter(tags=["pages"])

    def all_links() -> list[LinkRecord]:
        if links is not None:
            return links()
        with store.session() as s:
            return queries.links(s)

    def page(request: Request, lang: str | None, template: str, kind: str,
             data: dict[str, Any], context: dict[str, Any]) -> Response:
        lang_ = page_lang(request, lang)
        t = shell_text(lang_, ENG)
        body = {"kind": kind, "lang": lang_, "text": {k: t[k] for k in WORDS}, **data}
        return render(request, template, lang, {"page": body, **context}, tables=(ENG,))

    def missing(request: Request, lang: str | None, key: str, **kw: object) -> Response:
        t = shell_text(page_lang(request, lang), ENG)
        return render(request, "eng_not_found.html", lang, {"reason": t[key].format(**kw)},
                      status_code=404, tables=(ENG,))

    @r.get("/links/{link_id}", response_class=HTMLResponse, responses=HTML_404)
    def link_page(request: Request, link_id: DbId, lang: LangQ = None) -> Response:
        """One link: live status and rates, charts over 1 h to 1 y or custom dates, status
        timeline, 95th percentile, availability, incidents, both ends."""
        rec = next((x for x in all_links() if x.id == link_id), None)
        if rec is None:
            return missing(request, lang, "not_found_link", id=link_id)
        commune = None
        if rec.commune_code:
            with store.session() as s:
                commune = page_queries.commune(s, rec.commune_code)
        link = _link(rec)
        return page(request, lang, "eng_link.html", "link", {"link": link},
                    {"link": link, "commune": commune})

    @r.get("/devices/{device_id}", response_class=HTMLResponse, responses=HTML_404)
    def device_page(request: Request, device_id: DbId, lang: LangQ = None) -> Response:
        """One device: status, reachability and RTT, CPU/memory, interfaces with their links,
        optics, recent configuration changes (operators), incidents."""
        with store.session() as s:
            dev = next((d for d in queries.devices(s) if d.id == device_id), None)
            if dev is None:
                return missing(request, lang, "not_found_device", id=device_id)
            ifaces = page_queries.device_interfaces(s, device_id)
            commune = page_queries.commune(s, dev.commune_code) if dev.commune_code else None
        on_port: dict[str, dict[str, Any]] = {}
        for rec in all_links():
            for side, other in (("a", "z"), ("z", "a")):
                if getattr(rec, f"{side}_device_id") == device_id:
                    on_port[getattr(rec, f"{side}_ifname")] = {
                        "id": rec.id, "name": _link(rec)["name"],
                        "peer": _end(rec, other)}
        interfaces = [{"ifindex": i.ifindex, "name": i.name, "speed_mbps": i.speed_mbps,
                       "description": i.description, "link": on_port.get(i.name)}
                      for i in ifaces]
        device = _device(dev)
        return page(request, lang, "eng_device.html", "device",
                    {"device": device, "interfaces": interfaces},
                    {"device": device, "interfaces": interfaces, "commune": commune})

    @r.get("/communes/{code}", response_class=HTMLResponse, responses=HTML_404)
    def commune_page(request: Request, code: Code, lang: LangQ = None) -> Response:
        """One commune for operations: its links, devices, BTS, coverage summary, a small map
        (the full one at ``/maps/communes/{code}``) and availability this month."""
        with store.session() as s:
            unit = page_queries.commune(s, code)
            if unit is None:
                return missing(request, lang, "not_found_commune", code=code)
            devices = [_device(d) for d in queries.devices(s) if d.commune_code == code]
            bts = page_queries.commune_bts(s, code)
        links_ = [_link(x) for x in all_links() if x.commune_code == code]
        data = {"code": unit.code, "name": unit.name, "district_code": unit.district_code,
                "links": links_, "devices": devices}
        return page(request, lang, "eng_commune.html", "commune", data,
                    {"unit": unit, "links": links_, "devices": devices, "bts": bts})

    return r

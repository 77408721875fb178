"""One search over the inventory: communes (both generations), sites, devices, circuit ids and
management addresses, with or without diacritics (``"tri ton"`` finds ``"Tri Tôn"``; a query
typed with diacritics must match them, as :func:`provnet.inventory.search.matches` says).

The SQL narrows on the folded columns (``name_folded``, the hostname, the circuit id); the
ranking is a pure function (:func:`rank`): an exact match first, then a name that starts with
the query or has a word starting with it, then any substring; communes before sites before
devices before links.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, aliased

from provnet.inventory import model
from provnet.inventory.search import fold, has_diacritics, matches

#: kinds in the order results of equal quality are listed
KINDS = ("commune", "unit2025", "site", "device", "link")
MAX_QUERY = 100


@dataclass(frozen=True, slots=True)
class Hit:
    """One search result: what it is, its key (code, id), what to show."""

    kind: str  # commune | unit2025 | site | device | link
    key: str  # commune/unit/site code, device id, link id
    label: str
    detail: str
    #: for a site: the device to open (first device of the site) and its commune code
    device_id: int | None = None
    commune_code: str | None = None


def quality(query: str, text: str) -> int:
    """0 exact, 1 prefix (of the text or of one of its words), 2 substring, 3 no match.

    Folded comparison: ``quality("tri ton", "Tri Tôn") == 0``."""
    q, t = fold(query), fold(text)
    if not q or q not in t:
        return 3
    if q == t:
        return 0
    if t.startswith(q) or f" {q}" in t or f"-{q}" in t:
        return 1
    return 2


def rank(query: str, hits: list[tuple[Hit, tuple[str, ...]]]) -> list[Hit]:
    """Order hits by their best field's :func:`quality`, then kind, then label; drop those no
    field of which matches (with diacritics honoured when the query has them)."""
    accented = has_diacritics(query)
    scored = []
    for hit, fields in hits:
        best = min((quality(query, f) for f in fields if f), default=3)
        if best == 3 or (accented and not any(matches(query, f) for f in fields if f)):
            continue
        scored.append(((best, KINDS.index(hit.kind), len(hit.label), hit.label), hit))
    scored.sort(key=lambda x: x[0])
    return [h for _, h in scored]


def _like(q: str) -> str:
    return "%" + fold(q).replace("\\", "").replace("%", "").replace("_", "\\_") + "%"


def candidates(s: Session, q: str) -> list[tuple[Hit, tuple[str, ...]]]:
    """Every inventory row a folded substring of which contains ``q``, with the fields that
    matched (the ranking reads them)."""
    pat, raw = _like(q), "%" + q.strip().replace("%", "").replace("_", "\\_") + "%"
    out: list[tuple[Hit, tuple[str, ...]]] = []
    unit, parent = model.AdminUnit, aliased(model.AdminUnit)
    rows = s.execute(select(unit.code, unit.name, unit.generation, parent.name)
                     .outerjoin(parent, unit.parent_id == parent.id)
                     .where(unit.level == "commune",
                            or_(unit.name_folded.like(pat, escape="\\"),
                                unit.code == q.strip()))).all()
    for code, name, gen, pname in rows:
        kind = "commune" if gen == "legacy" else "unit2025"
        detail = " · ".join(x for x in (pname, code) if x)
        out.append((Hit(kind, code, name, detail, commune_code=code), (name, code)))
    commune = aliased(model.AdminUnit)
    first_dev = (select(func.min(model.Device.id)).where(model.Device.site_id == model.Site.id)
                 .correlate(model.Site).scalar_subquery())
    site_rows = s.execute(
        select(model.Site.code, model.Site.name, commune.code, commune.name,
               first_dev)
        .outerjoin(commune, model.Site.commune_id == commune.id)
        .where(or_(model.Site.name_folded.like(pat, escape="\\"),
                   func.lower(model.Site.code).like(raw.lower(), escape="\\")))).all()
    for code, name, ccode, cname, dev in site_rows:
        detail = " · ".join(x for x in (code, cname) if x)
        out.append((Hit("site", code, name, detail, device_id=dev, commune_code=ccode),
                    (name, code)))
    dev_rows = s.execute(
        select(model.Device.id, model.Device.hostname, model.Device.mgmt_address,
               model.Site.name)
        .join(model.Site, model.Device.site_id == model.Site.id)
        .where(or_(func.lower(model.Device.hostname).like(raw.lower(), escape="\\"),
                   model.Device.mgmt_address.like(raw, escape="\\")))).all()
    for dev_id, host, addr, sname in dev_rows:
        out.append((Hit("device", str(dev_id), host, f"{addr} · {sname}", device_id=dev_id),
                    (host, addr)))
    ai, zi = aliased(model.Interface), aliased(model.Interface)
    ad, zd = aliased(model.Device), aliased(model.Device)
    link_rows = s.execute(
        select(model.Link.id, model.Link.circuit_id, ad.hostname, zd.hostname)
        .join(ai, model.Link.a_interface_id == ai.id).join(ad, ai.device_id == ad.id)
        .join(zi, model.Link.z_interface_id == zi.id).join(zd, zi.device_id == zd.id)
        .where(func.lower(model.Link.circuit_id).like(raw.lower(), escape="\\"))).all()
    for link_id, circuit, a, z in link_rows:
        out.append((Hit("link", str(link_id), circuit or f"#{link_id}", f"{a} ↔ {z}"),
                    (circuit or "",)))
    return out


def search(s: Session, q: str, limit: int = 20, offset: int = 0) -> tuple[int, list[Hit]]:
    """(total, page) of the inventory rows matching ``q``, best first; a blank query finds
    nothing."""
    q = " ".join(q.split())[:MAX_QUERY]
    if not fold(q):
        return 0, []
    ranked = rank(q, candidates(s, q))
    return len(ranked), ranked[offset: offset + limit]

"""Incident titles and root causes as a code with parameters, rendered in Vietnamese or
English from one label table (pure).

The incident book stores both phrases in ``Incident.labels`` (``title`` and ``cause``, as
``{"code": ..., "params": {...}}``); the ``title`` column keeps the Vietnamese text and
``root_cause`` the English one, as before, for older readers. Incidents stored before the
phrases existed show their one text in both languages.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Lang = Literal["vi", "en"]
LANGS: tuple[Lang, ...] = ("vi", "en")

PHRASES: dict[Lang, dict[str, str]] = {
    "vi": {
        "title.link_cut": "{site} mất kết nối{cut}",
        "title.link": "Đường truyền {a} ↔ {z} mất kết nối",
        "title.link_unknown": "Đường truyền {link} mất kết nối",
        "title.device": "{site} không truy cập được{cut}",
        "title.device_unknown": "Thiết bị {device} không truy cập được",
        "title.alert": "{what}: {where}{port}",
        "cause.link": "đường truyền {link} ({a} ↔ {z}) mất kết nối",
        "cause.link_unknown": "đường truyền {link} mất kết nối",
        "cause.device": "thiết bị {host} ({site}) không truy cập được",
        "cause.device_unknown": "thiết bị {device} không truy cập được",
        "cause.alert": "{rule} trên {entity}{value}",
        "cut": ": {parts} bị cô lập",
        "plain": "{text}",
        "title.node": "Nút thu thập {node} mất liên lạc với trung tâm",
        "cause.node": "không nhận được dữ liệu hay nhịp tim từ nút thu thập {node}: "
                      "{devices} thiết bị không rõ trạng thái",
        "title.digest": "Trong lúc mất liên lạc với nút {node} ({start}–{end}): "
                        "{count} sự cố, nay đã hết",
        "cause.digest": "{what}",
    },
    "en": {
        "title.link_cut": "{site} down{cut}",
        "title.link": "Link {a} ↔ {z} down",
        "title.link_unknown": "Link {link} down",
        "title.device": "{site} unreachable{cut}",
        "title.device_unknown": "Device {device} unreachable",
        "title.alert": "{what}: {where}{port}",
        "cause.link": "link {link} ({a} ↔ {z}) down",
        "cause.link_unknown": "link {link} down",
        "cause.device": "device {host} ({site}) unreachable",
        "cause.device_unknown": "device {device} unreachable",
        "cause.alert": "{rule} on {entity}{value}",
        "cut": ": {parts} cut off",
        "plain": "{text}",
        "title.node": "Poller node {node} unreachable from the centre",
        "cause.node": "no data nor heartbeat from poller node {node}: "
                      "{devices} devices unknown",
        "title.digest": "While node {node} was cut off ({start}–{end}): "
                        "{count} incident(s), now cleared",
        "cause.digest": "{what}",
    },
}

#: site kinds counted in "... cut off": Vietnamese (no plural), English (one, many)
KIND_VI = {"commune_office": "trụ sở UBND xã", "pop": "PoP", "department": "sở, ngành",
           "core": "lõi", "bts": "trạm BTS"}
KIND_EN = {"commune_office": ("commune office", "commune offices"), "pop": ("PoP", "PoPs"),
           "department": ("department", "departments"), "core": ("core", "cores"),
           "bts": ("BTS site", "BTS sites")}


def kind_count(kind: str, n: int, lang: Lang) -> str:
    """``2 trụ sở UBND xã`` / ``2 commune offices`` (an unknown kind is shown as it is)."""
    if lang == "vi":
        return f"{n} {KIND_VI.get(kind, kind)}"
    one, many = KIND_EN.get(kind, (kind, kind))
    return f"{n} {one if n == 1 else many}"


def _cut(parts: Any, lang: Lang) -> str:
    shown = [kind_count(str(k), int(n), lang) for k, n in parts or []]
    return PHRASES[lang]["cut"].format(parts=", ".join(shown)) if shown else ""


def _value(v: Any) -> str:
    return "" if v is None else f" = {float(v):g}"


@dataclass(frozen=True, slots=True)
class Phrase:
    """A title or cause: ``code`` (a key of :data:`PHRASES` without its language) and
    JSON-ready ``params``. Special params: ``cut`` (``[[kind, count], ...]``), ``what``
    (``{"vi": ..., "en": ...}``), ``value`` (a number or None), ``port`` (a name or "")."""

    code: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def text(self, lang: Lang) -> str:
        """The phrase in ``lang``."""
        p = dict(self.params)
        what = p.get("what")
        if isinstance(what, Mapping):
            p["what"] = what.get(lang) or what.get("vi") or ""
        p["cut"] = _cut(p.get("cut"), lang)
        p["value"] = _value(p.get("value"))
        p["port"] = f" {p['port']}" if p.get("port") else ""
        return PHRASES[lang][self.code].format(**p)

    def to_json(self) -> dict[str, Any]:
        """``{"code": ..., "params": {...}}`` for ``Incident.labels``."""
        return {"code": self.code, "params": dict(self.params)}

    @classmethod
    def from_json(cls, data: Any) -> Phrase | None:
        """Inverse of :meth:`to_json`; None for anything that is not a known phrase."""
        if not isinstance(data, Mapping) or data.get("code") not in PHRASES["vi"]:
            return None
        params = data.get("params")
        return cls(str(data["code"]), dict(params) if isinstance(params, Mapping) else {})


@dataclass(frozen=True, slots=True)
class Texts:
    """An incident's title and root cause in each language."""

    title: Mapping[Lang, str]
    root_cause: Mapping[Lang, str]


def _both(phrase: Phrase | None, stored: str) -> dict[Lang, str]:
    if phrase is not None:
        try:
            return {lang: phrase.text(lang) for lang in LANGS}
        except (KeyError, IndexError, TypeError, ValueError):
            pass  # params that do not fit the code (a hand-edited row): the stored text
    return {lang: stored for lang in LANGS}


def incident_texts(labels: Mapping[str, Any] | None, title: str, root_cause: str) -> Texts:
    """Both languages of an incident from its labels (``title``/``cause`` phrases), else its
    stored ``title`` and ``root_cause`` texts in both."""
    labels = labels or {}
    return Texts(_both(Phrase.from_json(labels.get("title")), title),
                 _both(Phrase.from_json(labels.get("cause")), root_cause))

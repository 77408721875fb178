"""District scope of one request (issue 13): what a district-scoped user may see.

The middleware (``api/auth.py``) checks, before the route runs, every object a path names
(``{device_id}``, ``{link_id}``, a commune ``{code}``) and the ``commune=`` query parameter
against the caller's districts (403 with the reason; an unknown object is left to the route's
404), and refuses province-wide answers that have no per-district form (``WHOLE_PROVINCE``,
``COMMUNE_REQUIRED``). Routes that list objects filter them with :func:`scope_of`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from starlette.routing import compile_path

from provnet.inventory.auth import Identity
from provnet.inventory.scope import DistrictIndex

SCOPE_KEY = "provnet.scope"
#: province-wide answers a scoped user cannot get in part
WHOLE_PROVINCE = frozenset({"/api/v1/reports/availability"})
#: answers a scoped user gets only for one commune (``commune=`` of its districts)
COMMUNE_REQUIRED = frozenset({"/api/v1/coverage/layers", "/api/v1/coverage/gaps"})
_PATHS: dict[str, Any] = {}


@dataclass(frozen=True)
class Scoped:
    """A district-scoped caller and the district index of the inventory."""

    who: Identity
    index: DistrictIndex

    def device(self, device_id: int) -> bool:
        return self.who.sees(self.index.devices.get(device_id))

    def link(self, link_id: int) -> bool:
        return self.who.sees(self.index.links.get(link_id))

    def site(self, code: str) -> bool:
        return self.who.sees(self.index.sites.get(code))

    def commune(self, code: str) -> bool:
        return bool(self.index.communes.get(code, frozenset()) & self.who.districts)

    def keep(self, items: Iterable[Any], key: Callable[[Any], bool]) -> list[Any]:
        return [x for x in items if key(x)]

    def stream_filter(self, event: str, data: Any) -> Any:
        """The part of a stream event this caller sees (None: nothing)."""
        if event == "links":
            kept = [x for x in data if self.link(int(x["link_id"]))]
            return kept or None
        if event == "incidents":
            kept = [x for x in data if self.who.sees(x.get("district"))]
            return kept or None
        return data

    def reason(self, what: str) -> str:
        return (f"user {self.who.name} is limited to district(s) "
                f"{', '.join(sorted(self.who.districts))}; {what} is outside them")


def scope_of(request: Request) -> Scoped | None:
    """The scope of a district-scoped caller (None: the whole province)."""
    return request.scope.get(SCOPE_KEY)


def _params(template: str, path: str) -> dict[str, str]:
    rx = _PATHS.get(template)
    if rx is None:
        rx = _PATHS[template] = compile_path(template)[0]
    m = rx.match(path)
    return m.groupdict() if m else {}


def _int(text: str) -> int | None:
    return int(text) if text.isdigit() and len(text) < 11 else None


def refusal(scoped: Scoped, template: str | None, path: str,
            query: Mapping[str, list[str]]) -> str | None:
    """Why this request is outside the caller's districts (None: it is not)."""
    if template is None:
        return None
    if template in WHOLE_PROVINCE:
        return scoped.reason("this province-wide report")
    params = _params(template, path)
    device = _int(params.get("device_id", ""))
    if device is not None and device in scoped.index.devices and not scoped.device(device):
        return scoped.reason(f"device {device}")
    link = _int(params.get("link_id", ""))
    if link is not None and link in scoped.index.links and not scoped.link(link):
        return scoped.reason(f"link {link}")
    communes = list(query.get("commune", []))
    if "code" in params and "/communes/" in template:
        communes.append(params["code"])
    for code in communes:
        if code in scoped.index.communes and not scoped.commune(code):
            return scoped.reason(f"commune {code}")
    if template in COMMUNE_REQUIRED and not query.get("commune"):
        return scoped.reason("the whole province") + "; name one of its communes (commune=)"
    return None

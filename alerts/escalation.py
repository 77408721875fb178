"""Who an escalation reaches (pure, plus one read of the ``contact`` table).

Two sources, merged: the escalation contacts of the inventory (``contacts.csv`` / the YAML
``contacts:`` / ``/api/v1/inventory/contacts``, table ``contact``) and the settings'
``alerts.contacts``. Precedence: an inventory contact replaces a settings contact of the same
name (the inventory is the maintained list; settings are the fallback). A contact is told of
escalation number ``n`` when

* its districts are empty or hold the incident's district, and its sites are empty or hold
  the incident's root site;
* its ``escalation_level`` is at most ``n`` (level 1: from the first escalation on, level 2:
  from the second, ...; settings contacts are level 1);
* ``n`` falls in its on-call hours (``HH:MM-HH:MM`` Vietnam time, UTC+7 all year; a window
  may cross midnight; blank: always).

The root site's own ``contact`` (inventory ``sites.csv``), when it is an e-mail address, is
added as before.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, cast

from sqlalchemy import select
from sqlalchemy.orm import Session

from provnet.alerts.model import Incident
from provnet.alerts.notify.types import Contact
from provnet.config.settings import ContactSettings
from provnet.inventory import model

VIETNAM_UTC_OFFSET_S = 7 * 3600


@dataclass(frozen=True)
class EscalationContact:
    """One contact as escalation sees it (from the inventory or the settings)."""

    name: str
    email: str | None = None
    chat_id: str | None = None
    language: Literal["vi", "en"] = "vi"
    districts: tuple[str, ...] = ()
    sites: tuple[str, ...] = ()
    level: int = 1
    on_call: str | None = None  # "HH:MM-HH:MM" (canonical), None: always


def load_contacts(s: Session) -> list[EscalationContact]:
    """The inventory's escalation contacts."""
    return [EscalationContact(c.name, c.email, c.chat_id,
                              cast(Literal["vi", "en"], c.language or "vi"),
                              tuple(c.districts.split()), tuple(c.sites.split()),
                              c.escalation_level, c.on_call)
            for c in s.scalars(select(model.Contact).order_by(model.Contact.name))]


def from_settings(configured: Sequence[ContactSettings]) -> list[EscalationContact]:
    """Settings contacts: level 1, always on call."""
    return [EscalationContact(c.name, c.email, c.telegram_chat_id, c.language,
                              tuple(c.districts), tuple(c.sites)) for c in configured]


def merged(stored: Sequence[EscalationContact],
           configured: Sequence[EscalationContact]) -> list[EscalationContact]:
    """Inventory contacts, then the settings contacts whose name the inventory lacks."""
    names = {c.name for c in stored}
    return [*stored, *(c for c in configured if c.name not in names)]


def minute_of_day(ts: float) -> int:
    """Minutes since midnight, Vietnam time, of the epoch time ``ts``."""
    return int((ts + VIETNAM_UTC_OFFSET_S) // 60) % 1440


def on_call(window: str | None, minute: int) -> bool:
    """Whether ``minute`` (of the day) is in ``window`` (``HH:MM-HH:MM``; None: always)."""
    if not window:
        return True
    start_text, _, end_text = window.partition("-")
    start = int(start_text[:2]) * 60 + int(start_text[3:5])
    end = int(end_text[:2]) * 60 + int(end_text[3:5])
    if start < end:
        return start <= minute < end
    return minute >= start or minute < end  # crosses midnight


def escalation_contacts(inc: Incident, n: int, now: float,
                        contacts: Sequence[EscalationContact],
                        site_contact: str | None = None) -> tuple[Contact, ...]:
    """The recipients of escalation ``n`` of ``inc`` at epoch time ``now`` (module doc)."""
    minute = minute_of_day(now)
    out: list[Contact] = []
    for c in contacts:
        if c.districts and inc.district not in c.districts:
            continue
        if c.sites and inc.root_site_code not in c.sites:
            continue
        if c.level > n or not on_call(c.on_call, minute):
            continue
        out.append(Contact(c.name, c.email, c.chat_id, c.language))
    if site_contact and "@" in site_contact:
        out.append(Contact(site_contact, email=site_contact))
    return tuple(out)

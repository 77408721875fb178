"""Configuration changes near an incident: "config changed 3 minutes before the link went down".

The devices of an incident are its root's (both ends of a root link, or the root device), the
devices its root cuts off, and the devices of its alerts; their ``config_change`` rows (issue 4's
configuration backup) from ``window_s`` before the incident started until it ended (or now) are
shown in the API detail and the notifications.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from provnet.alerts.model import Alert, Incident
from provnet.alerts.notify.types import ConfigChangeNote
from provnet.inventory import model
from provnet.inventory.configs import ConfigChange

DEFAULT_WINDOW_S = 1800.0
MAX_CHANGES = 10


def _utc(t: dt.datetime) -> dt.datetime:
    return t if t.tzinfo else t.replace(tzinfo=dt.UTC)  # SQLite returns naive datetimes


def root_devices(s: Session, group_key: str) -> set[int]:
    """Devices of an incident's root: ``link:<id>`` -> its two ends, ``device:<id>`` -> it."""
    kind, _, ident = group_key.partition(":")
    if not ident.isdigit():
        return set()
    if kind == "device":
        return {int(ident)}
    if kind != "link":
        return set()
    a, z = aliased(model.Interface), aliased(model.Interface)
    row = s.execute(select(a.device_id, z.device_id)
                    .join(model.Link, model.Link.a_interface_id == a.id)
                    .join(z, model.Link.z_interface_id == z.id)
                    .where(model.Link.id == int(ident))).first()
    return set(row) if row else set()


def incident_devices(s: Session, inc: Incident) -> set[int]:
    """Root devices, cut-off devices and the devices of the incident's alerts."""
    out = root_devices(s, inc.group_key)
    out |= {int(d) for d in (inc.labels or {}).get("cut_off", []) if str(d).isdigit()}
    for labels in s.scalars(select(Alert.labels).where(Alert.incident_id == inc.id)):
        dev = str((labels or {}).get("device_id", ""))
        if dev.isdigit():
            out.add(int(dev))
    return out


def recent_changes(s: Session, inc: Incident, now: float,
                   window_s: float = DEFAULT_WINDOW_S) -> tuple[ConfigChangeNote, ...]:
    """Changes of the incident's devices from ``window_s`` before its start until its end
    (or ``now``), newest first, at most :data:`MAX_CHANGES`."""
    devices = incident_devices(s, inc)
    if not devices:
        return ()
    started = dt.datetime.fromtimestamp(inc.started_at, dt.UTC)
    until = dt.datetime.fromtimestamp(inc.resolved_at or now, dt.UTC)
    rows = s.execute(
        select(ConfigChange, model.Device.hostname, model.Site.code)
        .join(model.Device, model.Device.id == ConfigChange.device_id)
        .join(model.Site, model.Site.id == model.Device.site_id)
        .where(ConfigChange.device_id.in_(sorted(devices)),
               ConfigChange.at >= started - dt.timedelta(seconds=window_s),
               ConfigChange.at <= until)
        .order_by(ConfigChange.at.desc(), ConfigChange.id.desc()).limit(MAX_CHANGES)).all()
    return tuple(
        ConfigChangeNote(host, site, _utc(c.at), c.lines_added, c.lines_removed,
                         round((started - _utc(c.at)).total_seconds() / 60.0, 1))
        for c, host, site in rows)

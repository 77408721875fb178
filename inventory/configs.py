"""Configuration backup storage: versions of each device's scrubbed running configuration,
change events, unified diffs, and the SSH endpoint of each device.

A new version is stored only when the (already scrubbed) text differs from the newest one;
an unchanged fetch just moves ``last_seen_at``. Every change is a :class:`ConfigChange` row,
so the API and alerts can say "configuration changed 3 minutes before the link went down".
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
from dataclasses import dataclass

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from provnet.inventory.errors import InventoryError
from provnet.inventory.model import Base


class ConfigNotFound(InventoryError):
    """No such device or configuration version."""


class DeviceSsh(Base):
    """How to reach a device over SSH when it is not ``mgmt_address:22``."""

    __tablename__ = "device_ssh"

    device_id: Mapped[int] = mapped_column(ForeignKey("device.id"), primary_key=True)
    host: Mapped[str | None] = mapped_column(String(64))
    port: Mapped[int] = mapped_column(Integer, default=22)


class ConfigVersion(Base):
    """One distinct scrubbed configuration of a device."""

    __tablename__ = "config_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("device.id"), index=True)
    fetched_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    last_seen_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    sha256: Mapped[str] = mapped_column(String(64))
    lines: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)


class ConfigChange(Base):
    """The configuration of a device changed (seen at ``at``) from one version to another."""

    __tablename__ = "config_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("device.id"), index=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    from_version_id: Mapped[int | None] = mapped_column(ForeignKey("config_version.id"))
    to_version_id: Mapped[int] = mapped_column(ForeignKey("config_version.id"))
    lines_added: Mapped[int] = mapped_column(Integer)
    lines_removed: Mapped[int] = mapped_column(Integer)


@dataclass(frozen=True)
class VersionRecord:
    """A stored version, without its text."""

    id: int
    device_id: int
    fetched_at: dt.datetime
    last_seen_at: dt.datetime
    sha256: str
    lines: int
    changed: bool  # differs from an earlier version (False for the first one)


@dataclass(frozen=True)
class ChangeRecord:
    """A configuration change event."""

    id: int
    device_id: int
    hostname: str
    at: dt.datetime
    from_version_id: int | None
    to_version_id: int
    lines_added: int
    lines_removed: int


@dataclass(frozen=True)
class StoreOutcome:
    """What :func:`record_config` did."""

    version_id: int
    changed: bool  # a new version was stored (True also for the first one)
    first: bool
    sha256: str
    lines_added: int = 0
    lines_removed: int = 0


def _utc(t: dt.datetime) -> dt.datetime:
    return t.replace(tzinfo=dt.UTC) if t.tzinfo is None else t.astimezone(dt.UTC)


def sha256_text(text: str) -> str:
    """Hex SHA-256 of the UTF-8 text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def unified_diff(old: str, new: str, old_label: str, new_label: str) -> str:
    """Unified diff (3 lines of context) between two configurations; empty if equal."""
    return "".join(difflib.unified_diff(old.splitlines(keepends=True),
                                        new.splitlines(keepends=True), old_label, new_label))


def diff_counts(old: str, new: str) -> tuple[int, int]:
    """(lines added, lines removed) from ``old`` to ``new``."""
    added = removed = 0
    for line in difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=0):
        if line.startswith("+") and not line.startswith("+++"):
            added += 1
        elif line.startswith("-") and not line.startswith("---"):
            removed += 1
    return added, removed


def latest_version(s: Session, device_id: int) -> ConfigVersion | None:
    """The newest stored version of a device, if any."""
    return s.scalars(select(ConfigVersion).where(ConfigVersion.device_id == device_id)
                     .order_by(ConfigVersion.id.desc()).limit(1)).first()


def record_config(s: Session, device_id: int, text: str, fetched_at: dt.datetime
                  ) -> StoreOutcome:
    """Store ``text`` (already scrubbed) as a new version if it changed; record the change."""
    digest = sha256_text(text)
    prev = latest_version(s, device_id)
    if prev is not None and prev.sha256 == digest:
        prev.last_seen_at = fetched_at
        return StoreOutcome(prev.id, changed=False, first=False, sha256=digest)
    ver = ConfigVersion(device_id=device_id, fetched_at=fetched_at, last_seen_at=fetched_at,
                        sha256=digest, lines=len(text.splitlines()), text=text)
    s.add(ver)
    s.flush()
    if prev is None:
        return StoreOutcome(ver.id, changed=True, first=True, sha256=digest)
    added, removed = diff_counts(prev.text, text)
    s.add(ConfigChange(device_id=device_id, at=fetched_at, from_version_id=prev.id,
                       to_version_id=ver.id, lines_added=added, lines_removed=removed))
    return StoreOutcome(ver.id, changed=True, first=False, sha256=digest, lines_added=added,
                        lines_removed=removed)


def versions(s: Session, device_id: int) -> list[VersionRecord]:
    """Every version of a device, newest first."""
    rows = s.scalars(select(ConfigVersion).where(ConfigVersion.device_id == device_id)
                     .order_by(ConfigVersion.id.desc())).all()
    oldest = rows[-1].id if rows else None
    return [VersionRecord(r.id, r.device_id, _utc(r.fetched_at), _utc(r.last_seen_at), r.sha256,
                          r.lines, changed=r.id != oldest) for r in rows]


def version_text(s: Session, device_id: int, version_id: int) -> ConfigVersion:
    """One version of one device, or :class:`ConfigNotFound`."""
    ver = s.get(ConfigVersion, version_id)
    if ver is None or ver.device_id != device_id:
        raise ConfigNotFound(f"device {device_id} has no configuration version {version_id}")
    return ver


def diff_versions(s: Session, device_id: int, from_id: int, to_id: int) -> str:
    """Unified diff between two versions of one device."""
    a, b = version_text(s, device_id, from_id), version_text(s, device_id, to_id)
    return unified_diff(a.text, b.text, f"version {a.id} ({_utc(a.fetched_at):%Y-%m-%d %H:%M:%S}Z)",
                        f"version {b.id} ({_utc(b.fetched_at):%Y-%m-%d %H:%M:%S}Z)")


def changes_since(s: Session, since: dt.datetime, device_id: int | None = None,
                  limit: int = 1000) -> list[ChangeRecord]:
    """Configuration changes at or after ``since``, newest first."""
    from provnet.inventory.model import Device

    q = (select(ConfigChange, Device.hostname).join(Device, Device.id == ConfigChange.device_id)
         .where(ConfigChange.at >= since).order_by(ConfigChange.at.desc()).limit(limit))
    if device_id is not None:
        q = q.where(ConfigChange.device_id == device_id)
    return [ChangeRecord(c.id, c.device_id, host, _utc(c.at), c.from_version_id, c.to_version_id,
                         c.lines_added, c.lines_removed) for c, host in s.execute(q).all()]


def ssh_endpoints(s: Session) -> dict[int, tuple[str | None, int]]:
    """device id -> (host override or None, port) for devices with an SSH endpoint row."""
    return {r.device_id: (r.host, r.port) for r in s.scalars(select(DeviceSsh))}


def set_ssh_endpoint(s: Session, device_id: int, port: int, host: str | None = None) -> None:
    """Create or replace the SSH endpoint of a device."""
    row = s.get(DeviceSsh, device_id)
    if row is None:
        s.add(DeviceSsh(device_id=device_id, host=host, port=port))
    else:
        row.host, row.port = host, port


@dataclass(frozen=True)
class SshAccess:
    """What SSH collection needs from the inventory for one device."""

    device_id: int
    ssh_profile: str | None
    host: str | None
    port: int | None


def ssh_access(s: Session) -> dict[int, SshAccess]:
    """Devices that are SSH targets (an SSH endpoint row or an ``ssh_profile``), by id."""
    from provnet.inventory.model import Device

    rows = s.execute(select(Device.id, Device.ssh_profile, DeviceSsh.host, DeviceSsh.port)
                     .outerjoin(DeviceSsh, DeviceSsh.device_id == Device.id)
                     .where((DeviceSsh.device_id.is_not(None)) | (Device.ssh_profile.is_not(None)))
                     ).all()
    return {r[0]: SshAccess(r[0], r[1], r[2], r[3]) for r in rows}

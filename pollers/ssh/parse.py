"""Pure parsing of CLI output with TextFSM: ours under ``templates/`` first, else ntc-templates."""

from __future__ import annotations

import io
import math
from functools import cache
from pathlib import Path
from typing import Any, Literal

import textfsm

from provnet.pollers.readings import expand_ifname
from provnet.pollers.ssh.errors import PlatformError
from provnet.pollers.ssh.platforms import ParserSpec, Platform
from provnet.pollers.ssh.types import IfState, OpticReading

OWN_TEMPLATES = Path(__file__).with_name("templates")


def template_path(name: str) -> Path:
    """Our template of that name, else ntc-templates' one."""
    own = OWN_TEMPLATES / name
    if own.is_file():
        return own
    import ntc_templates

    ntc = Path(ntc_templates.__file__).parent / "templates" / name
    if ntc.is_file():
        return ntc
    raise PlatformError(f"no TextFSM template {name!r} (looked in {OWN_TEMPLATES} and "
                        "ntc-templates)")


@cache
def _template_text(name: str) -> str:
    return template_path(name).read_text(encoding="utf-8")


def parse_rows(spec: ParserSpec, text: str) -> list[dict[str, str]]:
    """Run one template over ``text``; rows keyed by our field names (unmapped values dropped)."""
    try:
        fsm = textfsm.TextFSM(io.StringIO(_template_text(spec.template)))
        rows = fsm.ParseText(text)
    except textfsm.TextFSMError as exc:
        raise PlatformError(f"template {spec.template}: {exc}") from exc
    header = fsm.header
    out = []
    for row in rows:
        rec = {spec.fields[h]: str(v) for h, v in zip(header, row, strict=True)
               if h in spec.fields}
        out.append(rec)
    return out


def to_float(value: str | None) -> float | None:
    """A number from CLI text; ``N/A``, ``--``, ``-inf`` and blanks are None."""
    if value is None:
        return None
    try:
        f = float(value.strip())
    except ValueError:
        return None
    return f if math.isfinite(f) else None


def to_int(value: str | None) -> int | None:
    """A counter from CLI text, or None."""
    try:
        return int(value) if value not in (None, "") else None  # type: ignore[arg-type]
    except ValueError:
        return None


def full_ifname(name: str, aliases: dict[str, str]) -> str:
    """``Gi0/0/1`` -> ``GigabitEthernet0/0/1`` with the platform's aliases (longest first)."""
    return expand_ifname(name, aliases)


_OPTIC_FLOATS = ("rx_dbm", "tx_dbm", "rx_low_dbm", "rx_high_dbm", "tx_low_dbm", "tx_high_dbm",
                 "bias_ma", "temperature_c", "voltage_v")


def _platform_rows(platform: Platform, purpose: Literal["optics", "interfaces"], text: str
                   ) -> list[dict[str, str]]:
    """Rows of ``text`` parsed with the platform's parser for ``purpose``."""
    spec = platform.parsers.get(purpose)
    if spec is None:
        raise PlatformError(f"platform {platform.name} has no {purpose} parser")
    return parse_rows(spec, text)


def parse_optics(platform: Platform, text: str) -> list[OpticReading]:
    """Optical levels per port from the platform's optics command output."""
    out = []
    for row in _platform_rows(platform, "optics", text):
        values: dict[str, Any] = {k: to_float(row.get(k)) for k in _OPTIC_FLOATS}
        out.append(OpticReading(name=full_ifname(row["name"], platform.ifname_aliases),
                                **values))
    return out


def parse_interfaces(platform: Platform, text: str) -> list[IfState]:
    """Interface state and error counters from the platform's interfaces command output."""
    out = []
    for row in _platform_rows(platform, "interfaces", text):
        out.append(IfState(
            name=full_ifname(row["name"], platform.ifname_aliases),
            link_up=row.get("link_status", "").strip().lower().startswith("up"),
            protocol_up=row.get("protocol_status", "").strip().lower().startswith("up"),
            description=row.get("description") or None,
            in_errors=to_int(row.get("in_errors")),
            crc_errors=to_int(row.get("crc_errors")),
            out_errors=to_int(row.get("out_errors"))))
    return out

"""Read recorded ``snmpwalk -On`` output (test data) into ``(oid, value)`` varbinds.

Values come out as the poller's plain values: integers for every integer type, ``str`` for
strings/OIDs/addresses, ``None`` for noSuchObject/noSuchInstance.
"""

from __future__ import annotations

import re
from pathlib import Path

from provnet.pollers.ifmib import VarBind

_LINE = re.compile(r"^\s*\.?([0-9.]+)\s*=\s*(.*)$")
_INT_TYPES = ("INTEGER", "Gauge32", "Counter32", "Counter64", "Unsigned32", "Integer32")


class WalkFormatError(ValueError):
    """A line of a recorded walk could not be read (message names the line)."""


def _value(text: str) -> int | str | None:
    text = text.strip()
    if text.startswith("No Such") or text.startswith("No more variables"):
        return None
    if text == '""':
        return ""
    kind, sep, rest = text.partition(":")
    if not sep:
        raise ValueError(f"no type in {text!r}")
    rest = rest.strip()
    if kind in _INT_TYPES:
        named = re.fullmatch(r"\w+\((-?\d+)\)", rest)
        return int(named.group(1)) if named else int(rest.split()[0])
    if kind == "Timeticks":
        return int(rest[rest.index("(") + 1 : rest.index(")")])
    if kind == "STRING":
        if rest.startswith('"') and rest.endswith('"') and len(rest) >= 2:
            return rest[1:-1].replace('\\"', '"').replace("\\\\", "\\")
        return rest
    if kind == "OID":
        return rest.lstrip(".")
    if kind in ("IpAddress", "Opaque"):
        return rest
    if kind == "Hex-STRING":
        return bytes.fromhex(rest.replace(" ", "")).decode("utf-8", "replace")
    raise ValueError(f"unknown type {kind!r}")


def parse_walk(text: str, source: str = "<walk>") -> list[VarBind]:
    """Varbinds of ``snmpwalk -On`` text; blank lines and ``#`` comments are skipped."""
    out: list[VarBind] = []
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = _LINE.match(line)
        if not match:
            raise WalkFormatError(f"{source}:{lineno}: not an 'OID = TYPE: value' line")
        try:
            value = _value(match.group(2))
        except ValueError as exc:
            raise WalkFormatError(f"{source}:{lineno}: {exc}") from exc
        out.append((tuple(int(p) for p in match.group(1).split(".")), value))
    return out


def read_walk(path: Path) -> list[VarBind]:
    """:func:`parse_walk` of a file."""
    return parse_walk(path.read_text(encoding="utf-8"), str(path))


_SNMPREC_TAGS = {
    "INTEGER": "2", "Integer32": "2", "STRING": "4", "Hex-STRING": "4x", "OID": "6",
    "IpAddress": "64", "Counter32": "65", "Gauge32": "66", "Unsigned32": "66",
    "Timeticks": "67", "Counter64": "70",
}


def walk_to_snmprec(text: str, source: str = "<walk>") -> str:
    """The same data as an snmpsim ``.snmprec`` file (records sorted by OID, text as hex)."""
    records: list[tuple[tuple[int, ...], str, str]] = []
    for (oid, value), line in zip(parse_walk(text, source), _data_lines(text), strict=True):
        kind = line.split("=", 1)[1].strip().partition(":")[0]
        if value is None:
            continue  # noSuch*: simply absent from the agent
        tag = _SNMPREC_TAGS.get(kind, "4")
        if isinstance(value, str) and tag in ("4", "4x"):
            records.append((oid, "4x", value.encode("utf-8").hex()))
        else:
            records.append((oid, tag, str(value)))
    records.sort()
    return "".join(f"{'.'.join(map(str, o))}|{t}|{v}\n" for o, t, v in records)


def _data_lines(text: str) -> list[str]:
    return [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]

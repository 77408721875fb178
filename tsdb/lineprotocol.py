"""Pure InfluxDB line-protocol encoder (no I/O).

Escaping follows what InfluxDB 1.x/2.x (the Go parser) actually does, verified against
InfluxDB 1.6.7:

* measurement: ``,`` and space are escaped with a backslash;
* tag keys, tag values, field keys: ``,``, ``=`` and space are escaped;
* string field values: ``"`` and ``\\`` are escaped;
* backslashes in names are written as they are (the server never unescapes ``\\\\``),
  except where InfluxDB cannot store them faithfully: at the end of a name (it would escape
  the separator after it) or before ``,``, ``=``, a space or ``"`` (parsed differently per
  position); those are removed (see :func:`sanitize_name`);
* CR/LF anywhere, and tabs in names, become spaces (one point is always one line);
* empty tag values and tags/fields named ``time`` are dropped (the server rejects or
  silently drops them); NaN, infinities and integers outside int64 are dropped; a point
  left with no field encodes to ``""`` and is skipped by :func:`encode_lines`.

UTF-8 text (Vietnamese diacritics included) passes through untouched.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Iterable

from tsdb.points import FieldValue, Point

PRECISION_DIVISORS: dict[str, int] = {"ns": 1, "us": 1_000, "ms": 1_000_000, "s": 1_000_000_000}
INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
RESERVED_KEYS = frozenset({"time"})

# InfluxDB 1.x parses a backslash before a special character differently per position
# (kept in tag values, dropped in measurements, a parse error in field keys) and one at
# the end escapes the separator that follows: such backslashes are removed. All other
# backslashes are literal everywhere and are written as they are.
_AMBIGUOUS_BACKSLASHES = re.compile(r'\\+(?=[,= "]|\Z)')
_NEWLINES = str.maketrans({"\n": " ", "\r": " "})
# InfluxDB skips leading tabs of measurements and field keys: names get plain spaces only
_NAME_WHITESPACE = str.maketrans(dict.fromkeys("\n\r\t\v\f", " "))
_MEASUREMENT_ESCAPES = str.maketrans({",": "\\,", " ": "\\ "})
_KEY_ESCAPES = str.maketrans({",": "\\,", "=": "\\=", " ": "\\ "})
_STRING_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"'})


def sanitize_name(text: str) -> str:
    """Return the name as InfluxDB will store it: newlines and tabs become spaces, and
    backslashes that end the name or precede ``,``, ``=``, a space or ``"`` are removed."""
    return _AMBIGUOUS_BACKSLASHES.sub("", text.translate(_NAME_WHITESPACE))


def escape_measurement(name: str) -> str:
    """Escape a (sanitised) measurement name."""
    return name.translate(_MEASUREMENT_ESCAPES)


def escape_key(text: str) -> str:
    """Escape a (sanitised) tag key, tag value or field key."""
    return text.translate(_KEY_ESCAPES)


def escape_string(value: str) -> str:
    """Quote a string field value (newlines become spaces)."""
    return '"' + value.translate(_NEWLINES).translate(_STRING_ESCAPES) + '"'


def format_field_value(value: FieldValue) -> str | None:
    """Line-protocol text of one field value, or ``None`` if InfluxDB cannot store it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return f"{value}i" if INT64_MIN <= value <= INT64_MAX else None
    if isinstance(value, float):
        return repr(float(value)) if math.isfinite(value) else None
    if isinstance(value, str):
        return escape_string(value)
    raise TypeError(f"unsupported field value type {type(value).__name__}: {value!r}")


def _tags_text(tags: Iterable[tuple[str, str]]) -> str:
    clean: dict[str, str] = {}
    for key, value in tags:
        k, v = sanitize_name(key), sanitize_name(value)
        if k and v and k not in RESERVED_KEYS:
            clean[k] = v
    return "".join(f",{escape_key(k)}={escape_key(clean[k])}" for k in sorted(clean))


def _fields_text(fields: Iterable[tuple[str, FieldValue]]) -> str:
    clean: dict[str, str] = {}
    for key, value in fields:
        k = sanitize_name(key)
        text = format_field_value(value)
        if k and text is not None and k not in RESERVED_KEYS:
            clean[k] = text
    return ",".join(f"{escape_key(k)}={text}" for k, text in clean.items())


def encode_point(p: Point, precision: str = "ns") -> str:
    """Encode one point as a line (no trailing newline), or ``""`` if no field is storable.

    A point without ``time_ns`` is stamped with the current time, so a line that is
    spooled and replayed later keeps the moment it was produced.
    Raises ``ValueError`` for an unknown precision or an unusable measurement name.
    """
    try:
        divisor = PRECISION_DIVISORS[precision]
    except KeyError:
        raise ValueError(f"unknown precision {precision!r}") from None
    measurement = sanitize_name(p.measurement)
    if not measurement or measurement.startswith("#"):
        # a line starting with '#' is a comment to InfluxDB: the point would vanish silently
        raise ValueError(f"invalid measurement name {p.measurement!r}")
    fields = _fields_text(p.fields.items())
    if not fields:
        return ""
    time_ns = time.time_ns() if p.time_ns is None else p.time_ns
    return (
        f"{escape_measurement(measurement)}{_tags_text(p.tags.items())} {fields} "
        f"{time_ns // divisor}"
    )


def encode_lines(points: Iterable[Point], precision: str = "ns") -> str:
    """Encode points as newline-terminated lines, skipping points with no storable field.

    Points without ``time_ns`` each get the current time when encoded (distinct stamps,
    so two such points of one series do not overwrite each other).
    """
    out: list[str] = []
    for p in points:
        line = encode_point(p, precision)
        if line:
            out.append(line)
            out.append("\n")
    return "".join(out)


def split_lines(lines: str, batch_size: int) -> list[str]:
    """Split newline-separated line protocol into chunks of at most ``batch_size`` lines."""
    if batch_size <= 0:
        raise ValueError("batch_size must be positive")
    rows = [row for row in lines.split("\n") if row]
    return [
        "\n".join(rows[i : i + batch_size]) + "\n" for i in range(0, len(rows), batch_size)
    ]


def count_lines(lines: str) -> int:
    """Number of points in newline-separated line protocol."""
    return sum(1 for row in lines.split("\n") if row)

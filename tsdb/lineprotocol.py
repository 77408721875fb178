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

import functools
import logging
import math
import re
import time
from collections.abc import Iterable

from provnet.tsdb.points import FieldValue, Point

log = logging.getLogger(__name__)

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


@functools.lru_cache(maxsize=1 << 16)
def escape_string(value: str) -> str:
    """Quote a string field value (newlines become spaces)."""
    return '"' + value.translate(_NEWLINES).translate(_STRING_ESCAPES) + '"'


def format_field_value(value: FieldValue) -> str | None:
    """Line-protocol text of one field value, or ``None`` if InfluxDB cannot store it."""
    kind = type(value)  # exact types first: the common case, and cheaper than isinstance
    if kind is float:
        return repr(value) if math.isfinite(value) else None  # type: ignore[arg-type]
    if kind is int:
        return f"{value}i" if INT64_MIN <= value <= INT64_MAX else None  # type: ignore[operator]
    if isinstance(value, float):
        return repr(float(value)) if math.isfinite(value) else None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return f"{value}i" if INT64_MIN <= value <= INT64_MAX else None
    if isinstance(value, str):
        return escape_string(value)
    raise TypeError(f"unsupported field value type {type(value).__name__}: {value!r}")


# Names repeat across points (same keys, same series): cache their escaped form.
@functools.lru_cache(maxsize=1 << 16)
def _key_token(key: str) -> tuple[str, str] | None:
    """(sanitised, escaped) tag or field key, or None if unusable."""
    clean = sanitize_name(key)
    if not clean or clean in RESERVED_KEYS:
        return None
    return clean, escape_key(clean)


@functools.lru_cache(maxsize=1 << 16)
def _tag_value_token(value: str) -> str:
    """Escaped tag value ("" if nothing is left after sanitising)."""
    return escape_key(sanitize_name(value))


@functools.lru_cache(maxsize=1 << 12)
def _measurement_token(name: str) -> str:
    clean = sanitize_name(name)
    if not clean or clean.startswith("#"):
        # a line starting with '#' is a comment to InfluxDB: the point would vanish silently
        raise ValueError(f"invalid measurement name {name!r}")
    return escape_measurement(clean)


def _tags_text(tags: Iterable[tuple[str, str]]) -> str:
    clean: dict[str, tuple[str, str]] = {}
    for key, value in tags:
        k = _key_token(key)
        v = _tag_value_token(value)
        if k is not None and v:
            clean[k[0]] = (k[1], v)
    return "".join(f",{clean[k][0]}={clean[k][1]}" for k in sorted(clean))


def _fields_text(fields: Iterable[tuple[str, FieldValue]]) -> str:
    clean: dict[str, str] = {}
    for key, value in fields:
        k = _key_token(key)
        text = format_field_value(value)
        if k is not None and text is not None:
            clean[k[0]] = f"{k[1]}={text}"
    return ",".join(clean.values())


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
    measurement = _measurement_token(p.measurement)
    fields = _fields_text(p.fields.items())
    if not fields:
        return ""
    time_ns = time.time_ns() if p.time_ns is None else p.time_ns
    return f"{measurement}{_tags_text(p.tags.items())} {fields} {time_ns // divisor}"


def encode_lines(points: Iterable[Point], precision: str = "ns") -> str:
    """Encode points as newline-terminated lines.

    Points with no storable field are skipped; points :func:`encode_point` refuses
    (unusable measurement, unsupported value type) are skipped with a warning.

    Points without ``time_ns`` each get the current time when encoded (distinct stamps,
    so two such points of one series do not overwrite each other).
    """
    if precision not in PRECISION_DIVISORS:
        raise ValueError(f"unknown precision {precision!r}")
    out: list[str] = []
    for p in points:
        try:
            line = encode_point(p, precision)
        except (ValueError, TypeError) as exc:  # one bad sample must not sink the batch
            log.warning("dropping a point that cannot be encoded: %s", exc)
            continue
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

"""Pure helpers to build InfluxQL text safely (no I/O)."""

from __future__ import annotations

_IDENT_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n"})
_LITERAL_ESCAPES = str.maketrans({"\\": "\\\\", "'": "\\'", "\n": "\\n"})


def quote_ident(name: str) -> str:
    """Double-quoted InfluxQL identifier (measurement, tag key, field key, database)."""
    return '"' + name.translate(_IDENT_ESCAPES) + '"'


def quote_literal(value: str) -> str:
    """Single-quoted InfluxQL string literal (e.g. a tag value in ``WHERE``).

    Prefer bound parameters (``InfluxQLReader.query(q, params=...)``) where possible.
    """
    return "'" + value.translate(_LITERAL_ESCAPES) + "'"

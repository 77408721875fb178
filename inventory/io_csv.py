"""CSV files of the inventory: one file per kind (``sites.csv``, ``devices.csv``, ...).

Accepted: UTF-8 with or without BOM (Excel's "CSV UTF-8"), CRLF or LF, ``,`` or ``;`` as the
separator (Excel in locales with a decimal comma). Written: UTF-8 without BOM, LF, ``,``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from pathlib import Path

from provnet.inventory.io_spec import KINDS, Issue, Row, Values


def kind_of(path: Path) -> str | None:
    """The kind a file holds, from its name (``sites.csv`` -> ``sites``)."""
    stem = path.stem.lower().replace("-", "_")
    return stem if stem in KINDS else None


def read_csv(path: Path, issues: list[Issue]) -> list[Row]:
    """Rows of one CSV file; problems are appended to ``issues`` (never raised)."""
    src = str(path)
    kind = kind_of(path)
    if kind is None:
        issues.append(Issue(src, 1, 1, f"unknown file: name it one of "
                                       f"{', '.join(k + '.csv' for k in KINDS)}"))
        return []
    try:
        data = path.read_bytes()
    except OSError as exc:
        issues.append(Issue(src, 0, 0, f"cannot read: {exc.strerror or exc}"))
        return []
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        issues.append(Issue(src, line, 1, f"not UTF-8 text (byte 0x{data[exc.start]:02x} at "
                                          f"offset {exc.start}); save it as 'CSV UTF-8'"))
        return []
    if "\x00" in text:
        issues.append(Issue(src, text[:text.index("\x00")].count("\n") + 1, 1,
                            "binary content (NUL byte): not a CSV file"))
        return []
    return parse_csv(kind, src, text, issues)


def parse_csv(kind: str, src: str, text: str, issues: list[Issue]) -> list[Row]:
    """Rows of one CSV text of ``kind``."""
    first = text.split("\n", 1)[0]
    delim = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim)
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        return []  # an empty file: no rows, nothing to do
    spec = KINDS[kind]
    known = set(spec.names)
    bad = False
    for i, h in enumerate(header, 1):
        if h not in known:
            issues.append(Issue(src, 1, i, f"unknown column {h!r} for {kind} "
                                           f"(columns: {', '.join(spec.names)})"))
            bad = True
        elif header.index(h) != i - 1:
            issues.append(Issue(src, 1, i, f"column {h!r} given twice"))
            bad = True
    for c in spec.columns:
        if c.required and c.name not in header:
            issues.append(Issue(src, 1, 1, f"missing required column {c.name!r}"))
            bad = True
    if bad:
        return []
    rows: list[Row] = []
    cols = {h: i + 1 for i, h in enumerate(header)}
    start = 2
    try:
        for rec in reader:
            line = start
            start = reader.line_num + 1
            if not any(v.strip() for v in rec):
                continue
            if len(rec) > len(header):
                issues.append(Issue(src, line, len(header) + 1,
                                    f"{len(rec)} values for {len(header)} columns"))
                continue
            values = dict(zip(header, (v.strip() for v in rec), strict=False))
            if len(rec) < len(header):
                values.update(dict.fromkeys(header[len(rec):], ""))
            rows.append(Row(kind, src, line, values, cols=cols))
    except csv.Error as exc:
        issues.append(Issue(src, reader.line_num, 1, f"malformed CSV: {exc}"))
    return rows


def write_csv(directory: Path, kind: str, records: Iterable[Values]) -> Path:
    """Write one kind's canonical records (already sorted) to ``directory/<kind>.csv``."""
    path = directory / f"{kind}.csv"
    cols = KINDS[kind].names
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(cols)
        for rec in records:
            w.writerow([rec.get(c, "") for c in cols])
    return path

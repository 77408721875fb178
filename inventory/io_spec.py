"""The file format of the inventory: one kind per CSV file, its columns, keys and value types.

Column names follow NetBox's CSV import where NetBox has the object (site ``name``,
``latitude``, ``longitude``, ``region``; device ``name``, ``role``, ``platform``, ``site``,
``primary_ip4``, ``manufacturer``; interface ``device``, ``name``, ``speed`` in kbit/s;
circuit ``cid``, ``provider``, ``commit_rate`` in kbit/s; cable ``side_a_device``,
``side_a_name``, ``side_b_device``, ``side_b_name``), provnet's own names for the rest.
Every value is handled as text in its *canonical* form (what export writes), so an import
compares with the store by plain string equality and export -> import -> export is exact.
"""

from __future__ import annotations

import datetime as dt
import functools
import ipaddress
import math
import re
from dataclasses import dataclass, field

from provnet.inventory.model import GENERATIONS, SITE_KINDS, UNIT_LEVELS

Values = dict[str, str]
Key = tuple[str, ...]


@dataclass(frozen=True)
class Column:
    """One column: its value type (``str int float bool date lat lon ip kbps enum``, for
    contacts ``codes``: a list of codes, ``hours``: ``HH:MM-HH:MM``, ``email``, and ``group``:
    a poller node group name, ``[A-Za-z0-9_-]{1,64}`` like ``cluster.groups[].name``)."""

    name: str
    type: str = "str"
    required: bool = False
    choices: tuple[str, ...] = ()
    low: float | None = None
    high: float | None = None
    default: str = ""  # canonical value of a blank cell

    def blank(self) -> str:
        return self.default or ("false" if self.type == "bool" else "")


@dataclass(frozen=True)
class KindSpec:
    """One kind of object: its file stem, columns (in file order) and natural key."""

    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


def _c(name: str, type_: str = "str", required: bool = False, **kw: object) -> Column:
    return Column(name, type_, required, **kw)  # type: ignore[arg-type]


KINDS: dict[str, KindSpec] = {k.name: k for k in (
    KindSpec("units", (
        _c("generation", "enum", True, choices=GENERATIONS), _c("level", "enum", True,
                                                               choices=UNIT_LEVELS),
        _c("code", required=True), _c("name", required=True), _c("parent"),
        _c("valid_from", "date"), _c("valid_to", "date"), _c("latitude", "lat"),
        _c("longitude", "lon"), _c("area_km2", "float", low=0), _c("boundary_synthetic", "bool"),
        _c("boundary_wkt")), ("generation", "code")),
    KindSpec("unit_mappings", (
        _c("old_code", required=True), _c("new_code", required=True),
        _c("whole", "bool", default="true"), _c("is_default", "bool", default="true")),
        ("old_code", "new_code")),
    KindSpec("sites", (
        _c("code", required=True), _c("name", required=True),
        _c("kind", "enum", True, choices=SITE_KINDS), _c("latitude", "lat", True),
        _c("longitude", "lon", True), _c("region"), _c("commune"),
        _c("location_synthetic", "bool"), _c("contact"), _c("poller_group", "group")),
        ("code",)),
    KindSpec("devices", (
        _c("name", required=True), _c("site", required=True), _c("role", required=True),
        _c("manufacturer"), _c("platform"), _c("primary_ip4", "ip", True), _c("snmp_profile"),
        _c("ssh_profile"), _c("poller_group", "group")), ("name",)),
    KindSpec("interfaces", (
        _c("device", required=True), _c("name", required=True), _c("speed", "kbps"),
        _c("description"), _c("ifindex", "int", low=1, high=2147483647)), ("device", "name")),
    KindSpec("links", (
        _c("side_a_device", required=True), _c("side_a_name", required=True),
        _c("side_b_device", required=True), _c("side_b_name", required=True),
        _c("kind", required=True), _c("commit_rate", "kbps", True), _c("provider"), _c("cid")),
        ("side_a_device", "side_a_name")),
    KindSpec("bts", (
        _c("site", required=True), _c("operator", required=True),
        _c("sector", "int", low=1, high=99), _c("technology"), _c("band_mhz", "int", low=1),
        _c("azimuth_deg", "float", low=0, high=360), _c("beamwidth_deg", "float", low=0,
                                                           high=360),
        _c("height_m", "float", low=0), _c("power_dbm", "float"), _c("range_m", "float", low=0)),
        ("site", "operator", "sector")),
    KindSpec("fibre_points", (
        _c("site", required=True), _c("operator", required=True), _c("kind", required=True),
        _c("ports", "int", low=0)), ("site",)),
    KindSpec("contacts", (
        _c("name", required=True), _c("role"), _c("phone"), _c("email", "email"),
        _c("chat_id"), _c("language", "enum", choices=("vi", "en"), default="vi"),
        _c("districts", "codes"), _c("sites", "codes"),
        _c("escalation_level", "int", low=1, high=9, default="1"),
        _c("on_call", "hours")), ("name",)),
)}
#: apply order (references point backwards); deletions go the other way
ORDER = tuple(KINDS)
#: sector columns that a BTS row with a sector number must fill
SECTOR_REQUIRED = ("technology", "band_mhz", "azimuth_deg", "beamwidth_deg", "height_m")


@dataclass
class Row:
    """One input record as text, with where each value came from (for error messages)."""

    kind: str
    source: str
    line: int
    values: Values
    #: column -> (line, column number) in the source (YAML: each value's own place)
    pos: dict[str, tuple[int, int]] = field(default_factory=dict)
    #: column -> column number on the row's line (CSV: one mapping shared by a file's rows)
    cols: dict[str, int] | None = None

    def where(self, column: str | None = None) -> tuple[int, int]:
        name = column or ""
        if name in self.pos:
            return self.pos[name]
        if self.cols is not None and name in self.cols:
            return self.line, self.cols[name]
        return self.line, 1


@dataclass(frozen=True, order=True)
class Issue:
    """One error found in the input: ``file:line:column: reason``."""

    source: str
    line: int
    column: int
    reason: str

    def __str__(self) -> str:
        return f"{self.source}:{self.line}:{self.column}: {self.reason}"


def fmt_float(x: float) -> str:
    """Canonical text of a float (shortest repr that reads back the same)."""
    return repr(float(x))


def fmt_bool(x: bool) -> str:
    return "true" if x else "false"


_TRUE = {"true", "yes", "1", "y", "t"}
_FALSE = {"false", "no", "0", "n", "f"}


@functools.lru_cache(maxsize=1 << 17)
def canonical(col: Column, text: str) -> str:
    """The canonical form of one value; raises ValueError with the reason (cached: a
    country's files repeat the same bands, heights and speeds)."""
    t = col.type
    if t == "str":
        return text
    if t == "enum":
        if text not in col.choices:
            raise ValueError(f"{text!r} is not one of {', '.join(col.choices)}")
        return text
    if t in ("int", "kbps"):
        try:
            n = int(text.replace("_", ""))
        except ValueError:
            raise ValueError(f"{text!r} is not a whole number") from None
        if t == "kbps" and n % 1000:
            raise ValueError(f"{n} kbit/s is not a whole number of Mbit/s")
        _range(col, n)
        return str(n)
    if t in ("float", "lat", "lon"):
        try:
            x = float(text)
        except ValueError:
            raise ValueError(f"{text!r} is not a number") from None
        if not math.isfinite(x):
            raise ValueError(f"{text!r} is not a finite number")
        lim = {"lat": (-90.0, 90.0), "lon": (-180.0, 180.0)}.get(t)
        if lim and not lim[0] <= x <= lim[1]:
            what = "latitude" if t == "lat" else "longitude"
            raise ValueError(f"{what} {x} out of range [{lim[0]:g}, {lim[1]:g}]")
        _range(col, x)
        return fmt_float(x)
    if t == "bool":
        low = text.lower()
        if low in _TRUE or low in _FALSE:
            return fmt_bool(low in _TRUE)
        raise ValueError(f"{text!r} is not true or false")
    if t == "date":
        try:
            return dt.date.fromisoformat(text).isoformat()
        except ValueError:
            raise ValueError(f"{text!r} is not a date (YYYY-MM-DD)") from None
    if t == "codes":  # "886; 887 ,888" -> "886 887 888" (sorted, each once)
        return " ".join(sorted({c for c in re.split(r"[\s,;|]+", text) if c}))
    if t == "hours":
        return _hours(text)
    if t == "email":
        local, at, domain = text.partition("@")
        if not (local and at and "." in domain) or any(ch.isspace() for ch in text):
            raise ValueError(f"{text!r} is not an e-mail address")
        return text
    if t == "group":
        if not _GROUP.match(text):
            raise ValueError(f"{text!r} is not a group name (letters, digits, - and _, "
                             "at most 64)")
        return text
    if t == "ip":
        try:
            return str(ipaddress.ip_interface(text).ip)
        except ValueError:
            raise ValueError(f"{text!r} is not an IP address") from None
    raise AssertionError(t)


_GROUP = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_HOURS = re.compile(r"^(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$")


def _hours(text: str) -> str:
    """``7:00-17:30`` -> ``07:00-17:30`` (a window may cross midnight: ``22:00-06:00``)."""
    m = _HOURS.match(text.strip())
    if not m:
        raise ValueError(f"{text!r} is not on-call hours HH:MM-HH:MM")
    h1, m1, h2, m2 = (int(g) for g in m.groups())
    if h1 > 24 or h2 > 24 or m1 > 59 or m2 > 59 or (h1 == 24 and m1) or (h2 == 24 and m2):
        raise ValueError(f"{text!r} is not on-call hours HH:MM-HH:MM (00:00..24:00)")
    if (h1, m1) == (h2, m2):
        raise ValueError(f"{text!r}: the on-call window is empty (leave blank for always)")
    return f"{h1:02d}:{m1:02d}-{h2:02d}:{m2:02d}"


def _range(col: Column, x: float) -> None:
    if col.low is not None and x < col.low:
        raise ValueError(f"{x:g} is below the minimum {col.low:g}")
    if col.high is not None and x > col.high:
        raise ValueError(f"{x:g} is above the maximum {col.high:g}")


def tag_form(text: str) -> str:
    """How a name ends up as an InfluxDB tag value (whitespace controls become spaces, the
    backslashes InfluxDB drops are dropped; compared case-insensitively)."""
    out = "".join(" " if ch in "\n\r\t\v\f" else ch for ch in text)
    while True:
        stripped = out.rstrip("\\")
        for sep in ",= \"":
            while "\\" + sep in stripped:
                stripped = stripped.replace("\\" + sep, sep)
        if stripped == out:
            return out.strip().casefold()
        out = stripped

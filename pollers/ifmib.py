"""IF-MIB columns and pure GETBULK table-walk logic (no pysnmp here); the OIDs: ``oids``.

Values handed to these functions are already plain Python: ``int``, ``bytes``, ``str``,
``None`` (noSuchObject/noSuchInstance/absent) or :data:`END_OF_MIB` (endOfMibView).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

# re-exported: callers of the walk logic name the columns they walk
from provnet.pollers.oids import (
    IF_ADMIN_STATUS as IF_ADMIN_STATUS,
)
from provnet.pollers.oids import (
    IF_DESCR as IF_DESCR,
)
from provnet.pollers.oids import (
    IF_ENTRY as IF_ENTRY,
)
from provnet.pollers.oids import (
    IF_HC_IN_OCTETS as IF_HC_IN_OCTETS,
)
from provnet.pollers.oids import (
    IF_HC_OUT_OCTETS as IF_HC_OUT_OCTETS,
)
from provnet.pollers.oids import (
    IF_HIGH_SPEED as IF_HIGH_SPEED,
)
from provnet.pollers.oids import (
    IF_IN_DISCARDS as IF_IN_DISCARDS,
)
from provnet.pollers.oids import (
    IF_IN_ERRORS as IF_IN_ERRORS,
)
from provnet.pollers.oids import (
    IF_NAME as IF_NAME,
)
from provnet.pollers.oids import (
    IF_OPER_STATUS as IF_OPER_STATUS,
)
from provnet.pollers.oids import (
    IF_OUT_DISCARDS as IF_OUT_DISCARDS,
)
from provnet.pollers.oids import (
    IF_OUT_ERRORS as IF_OUT_ERRORS,
)
from provnet.pollers.oids import (
    IFX_ENTRY as IFX_ENTRY,
)
from provnet.pollers.oids import (
    SYS_UPTIME as SYS_UPTIME,
)
from provnet.pollers.oids import (
    Oid as Oid,
)
from provnet.pollers.types import IfSample


class EndOfMib:
    """Marker type of the endOfMibView exception value (use the :data:`END_OF_MIB` singleton)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "END_OF_MIB"


END_OF_MIB: Final = EndOfMib()

Value = int | bytes | str | None | EndOfMib
VarBind = tuple[Oid, Value]

#: What to put in a GETBULK non-repeater to get sysUpTime.0 back (GETNEXT semantics).
SYS_UPTIME_NEXT: Final[Oid] = SYS_UPTIME[:-1]

#: Column OID -> IfSample field it fills.
COLUMN_FIELDS: Final[Mapping[Oid, str]] = {
    IF_NAME: "name",
    IF_DESCR: "name",
    IF_OPER_STATUS: "oper_status",
    IF_ADMIN_STATUS: "admin_status",
    IF_HC_IN_OCTETS: "in_octets",
    IF_HC_OUT_OCTETS: "out_octets",
    IF_IN_ERRORS: "in_errors",
    IF_OUT_ERRORS: "out_errors",
    IF_IN_DISCARDS: "in_discards",
    IF_OUT_DISCARDS: "out_discards",
    IF_HIGH_SPEED: "high_speed_mbps",
}

#: Columns polled by default, in request order (ifDescr is left out: ifName names the row;
#: add IF_DESCR for agents without ifName, it is used only where ifName is missing).
DEFAULT_COLUMNS: Final[tuple[Oid, ...]] = (
    IF_NAME,
    IF_ADMIN_STATUS,
    IF_OPER_STATUS,
    IF_HC_IN_OCTETS,
    IF_HC_OUT_OCTETS,
    IF_IN_ERRORS,
    IF_OUT_ERRORS,
    IF_IN_DISCARDS,
    IF_OUT_DISCARDS,
    IF_HIGH_SPEED,
)

_TEXT_FIELDS: Final = frozenset({"name"})


def _as_int(value: Value) -> int | None:
    return value if type(value) is int else None


def _as_text(value: Value) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return None


def parse_bulk_rows(columns: Sequence[Oid], varbinds: Iterable[VarBind]) -> dict[int, IfSample]:
    """Build one :class:`IfSample` per ifIndex from ``(oid, value)`` pairs of ``columns``.

    Varbinds outside the given columns, with a multi-part index, or with exception values are
    ignored. ifName wins over ifDescr for ``name``; integers are taken only from ``int``
    values (a text value in a counter column is treated as missing).
    """
    wanted = {col: COLUMN_FIELDS[col] for col in columns if col in COLUMN_FIELDS}
    lengths = {len(col) for col in wanted}
    rows: dict[int, dict[str, int | str]] = {}
    descr: dict[int, str] = {}
    for oid, value in varbinds:
        for n in lengths:
            if len(oid) != n + 1:
                continue
            fld = wanted.get(oid[:n])
            if fld is None:
                continue
            ifindex = oid[n]
            if fld in _TEXT_FIELDS:
                text = _as_text(value)
                if text is None:
                    break
                if oid[:n] == IF_DESCR:
                    descr[ifindex] = text
                    rows.setdefault(ifindex, {})
                    break
                rows.setdefault(ifindex, {})[fld] = text
            else:
                num = _as_int(value)
                if num is None:
                    break
                rows.setdefault(ifindex, {})[fld] = num
            break
    out: dict[int, IfSample] = {}
    for ifindex in sorted(rows):
        values = rows[ifindex]
        if "name" not in values and ifindex in descr:
            values["name"] = descr[ifindex]
        out[ifindex] = IfSample(ifindex=ifindex, **values)  # type: ignore[arg-type]
    return out


def in_subtree(oid: Oid, root: Oid) -> bool:
    """True when ``oid`` lies strictly below ``root``."""
    return len(oid) > len(root) and oid[: len(root)] == root


@dataclass(frozen=True, slots=True)
class WalkStep:
    """Outcome of one GETBULK response for the repeater columns.

    ``rows``: the accepted in-subtree varbinds; ``pending``: column -> OID to continue from
    (request order kept), empty when every column is finished; ``accepted``: rows accepted
    per requested column; ``progressed``: at least one column accepted a varbind or finished
    (a step without progress must end the walk).
    """

    rows: list[VarBind] = field(default_factory=list)
    pending: dict[Oid, Oid] = field(default_factory=dict)
    accepted: dict[Oid, int] = field(default_factory=dict)
    progressed: bool = False


def walk_step(request: Mapping[Oid, Oid], repeaters: Sequence[VarBind]) -> WalkStep:
    """Advance a multi-column walk with the repeater part of one GETBULK response.

    ``request`` maps each column root to the OID that was asked for it, in request order; the
    response holds groups of ``len(request)`` varbinds in that order (possibly truncated by the
    agent at any point). A column stops when a varbind leaves its subtree, is END_OF_MIB or does
    not increase; otherwise it continues from its last accepted OID.
    """
    cols = list(request)
    ncols = len(cols)
    last: dict[Oid, Oid] = dict(request)
    done: set[Oid] = set()
    accepted = dict.fromkeys(cols, 0)
    rows: list[VarBind] = []
    progressed = False
    if ncols:
        for pos, (oid, value) in enumerate(repeaters):
            col = cols[pos % ncols]
            if col in done:
                continue
            if value is END_OF_MIB or not in_subtree(oid, col) or oid <= last[col]:
                done.add(col)
                progressed = True
                continue
            rows.append((oid, value))
            last[col] = oid
            accepted[col] += 1
            progressed = True
    pending = {col: last[col] for col in cols if col not in done}
    return WalkStep(rows=rows, pending=pending, accepted=accepted, progressed=progressed)


def split_response(
    non_repeaters: int, varbinds: Sequence[VarBind]
) -> tuple[list[VarBind], list[VarBind]]:
    """Split a GETBULK response into its non-repeater and repeater parts."""
    return list(varbinds[:non_repeaters]), list(varbinds[non_repeaters:])


def scalar_value(expected: Oid, varbinds: Sequence[VarBind]) -> int | None:
    """The integer value of scalar ``expected`` among ``varbinds`` (exact OID), else None."""
    for oid, value in varbinds:
        if oid == expected:
            return _as_int(value)
    return None


def repetitions_for(rows: int | None, default: int, cap: int) -> int:
    """max-repetitions to read ``rows`` table rows in one request (+1 to see each column end)."""
    if rows is None or rows <= 0:
        return max(1, min(default, cap))
    return max(1, min(rows + 1, cap))

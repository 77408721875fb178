"""Pure IF-MIB parsing and GETBULK walk continuation."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from provnet.pollers import ifmib
from provnet.pollers.ifmib import (
    END_OF_MIB,
    IF_DESCR,
    IF_HC_IN_OCTETS,
    IF_HC_OUT_OCTETS,
    IF_HIGH_SPEED,
    IF_NAME,
    IF_OPER_STATUS,
    Oid,
    Value,
    VarBind,
    parse_bulk_rows,
    repetitions_for,
    scalar_value,
    split_response,
    walk_step,
)
from provnet.pollers.types import IfSample

COLS = (IF_NAME, IF_OPER_STATUS, IF_HC_IN_OCTETS)
Row = tuple[Value, Value, Value]  # values of COLS


def table(rows: Mapping[int, Row], cols: tuple[Oid, ...] = COLS) -> list[VarBind]:
    """Column-major varbinds of a small table, like a walk would return them."""
    out: list[VarBind] = []
    for i, col in enumerate(cols):
        for ifindex, values in sorted(rows.items()):
            out.append(((*col, ifindex), values[i]))
    return out


def bulk(
    rows: Mapping[int, Row],
    cols: tuple[Oid, ...],
    reps: int,
    after: Mapping[Oid, VarBind] | None = None,
) -> list[VarBind]:
    """Row-major (GETBULK wire order) response; ``after`` gives each column's next varbind."""
    after = after or {}
    per_col: dict[Oid, list[VarBind]] = {}
    for col in cols:
        items: list[VarBind] = [((*col, ix), v[COLS.index(col)]) for ix, v in sorted(rows.items())]
        items.append(after.get(col, ((1, 3, 6, 1, 9), END_OF_MIB)))
        per_col[col] = items
    out: list[VarBind] = []
    for r in range(reps):
        for col in cols:
            items = per_col[col]
            out.append(items[min(r, len(items) - 1)])
    return out


ROWS: dict[int, Row] = {1: (b"lo", 1, 1234), 2: ("eth0", 1, 2**40), 10: (b"wg\xff0", 2, 0)}


def test_oid_constants() -> None:
    assert ifmib.SYS_UPTIME == (1, 3, 6, 1, 2, 1, 1, 3, 0)
    assert ifmib.SYS_UPTIME_NEXT == (1, 3, 6, 1, 2, 1, 1, 3)
    assert ifmib.IF_ADMIN_STATUS == (1, 3, 6, 1, 2, 1, 2, 2, 1, 7)
    assert ifmib.IF_OUT_ERRORS == (1, 3, 6, 1, 2, 1, 2, 2, 1, 20)
    assert IF_HC_OUT_OCTETS == (1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 10)
    assert IF_HIGH_SPEED == (1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 15)
    assert len(set(ifmib.DEFAULT_COLUMNS)) == len(ifmib.DEFAULT_COLUMNS) == 10


def test_parse_rows_bytes_str_and_big_counters() -> None:
    got = parse_bulk_rows(COLS, table(ROWS))
    assert list(got) == [1, 2, 10]
    assert got[1] == IfSample(1, name="lo", oper_status=1, in_octets=1234)
    assert got[2].name == "eth0" and got[2].in_octets == 2**40
    assert got[10].name == "wg\ufffd0"  # undecodable byte replaced, never raises
    assert got[10].oper_status == 2 and got[10].in_octets == 0


@pytest.mark.parametrize(
    ("varbinds", "expected"),
    [
        pytest.param([], {}, id="empty"),
        pytest.param(
            [((*IF_OPER_STATUS, 3), None), ((*IF_HC_IN_OCTETS, 3), 5)],
            {3: IfSample(3, in_octets=5)},
            id="no-such-instance-is-missing",
        ),
        pytest.param(
            [((*IF_HC_IN_OCTETS, 4), "garbage"), ((*IF_NAME, 4), 7)],
            {},
            id="wrong-types-ignored",
        ),
        pytest.param(
            [((*IF_HC_IN_OCTETS, 4, 1), 5), ((1, 3, 6, 1, 2, 1, 1, 3, 0), 77)],
            {},
            id="foreign-and-multi-index-oids-ignored",
        ),
        pytest.param(
            [((*IF_HC_IN_OCTETS, 7), END_OF_MIB), ((*IF_HC_IN_OCTETS, 8), 9)],
            {8: IfSample(8, in_octets=9)},
            id="end-of-mib-value-ignored",
        ),
    ],
)
def test_parse_edge_cases(varbinds: list[VarBind], expected: dict[int, IfSample]) -> None:
    assert parse_bulk_rows(COLS, varbinds) == expected


def test_ifname_wins_over_ifdescr_and_descr_is_fallback() -> None:
    cols = (IF_NAME, IF_DESCR)
    vbs: list[VarBind] = [
        ((*IF_DESCR, 1), "Loopback interface"),
        ((*IF_DESCR, 2), "GigabitEthernet0/1"),
        ((*IF_NAME, 1), "lo"),
    ]
    got = parse_bulk_rows(cols, vbs)
    assert got[1].name == "lo"
    assert got[2].name == "GigabitEthernet0/1"


def test_parse_ignores_columns_not_requested() -> None:
    got = parse_bulk_rows((IF_NAME,), [((*IF_HC_IN_OCTETS, 1), 5), ((*IF_NAME, 1), "lo")])
    assert got == {1: IfSample(1, name="lo")}


def test_split_and_scalar() -> None:
    vbs: list[VarBind] = [((1, 3, 6, 1, 2, 1, 1, 3, 0), 4242), ((*IF_NAME, 1), "lo")]
    scalars, reps = split_response(1, vbs)
    assert scalar_value(ifmib.SYS_UPTIME, scalars) == 4242
    assert reps == [((*IF_NAME, 1), "lo")]
    # GETNEXT semantics: an agent without sysUpTime returns the next OID, which is not it
    assert scalar_value(ifmib.SYS_UPTIME, [((1, 3, 6, 1, 2, 1, 1, 4, 0), "x")]) is None


def start(cols: tuple[Oid, ...] = COLS) -> dict[Oid, Oid]:
    return {c: c for c in cols}


def test_walk_finishes_in_one_response_when_each_column_leaves_its_subtree() -> None:
    # 3 rows + 1 repetition to see every column end; the next column's first row follows
    after: dict[Oid, VarBind] = {
        IF_NAME: ((*ifmib.IFX_ENTRY, 2, 1), 0),
        IF_OPER_STATUS: ((*ifmib.IF_ENTRY, 9, 1), 0),
        IF_HC_IN_OCTETS: ((*ifmib.IFX_ENTRY, 7, 1), 0),
    }
    step = walk_step(start(), bulk(ROWS, COLS, 4, after))
    assert step.pending == {}
    assert step.progressed
    assert step.accepted == dict.fromkeys(COLS, 3)
    assert parse_bulk_rows(COLS, step.rows) == parse_bulk_rows(COLS, table(ROWS))


def test_walk_continues_from_last_oid_when_repetitions_run_out() -> None:
    step = walk_step(start(), bulk(ROWS, COLS, 2))
    assert step.pending == {c: (*c, 2) for c in COLS}
    assert step.accepted == dict.fromkeys(COLS, 2)
    # the next response (same columns, from ifIndex 2) finishes the walk
    rest: dict[int, Row] = {10: ROWS[10]}
    step2 = walk_step(step.pending, bulk(rest, COLS, 2))
    assert step2.pending == {}
    got = parse_bulk_rows(COLS, step.rows + step2.rows)
    assert got == parse_bulk_rows(COLS, table(ROWS))


def test_walk_truncated_response_keeps_unserved_columns_pending() -> None:
    # agent capped the response mid-group: only first two varbinds of the second group
    vbs = bulk(ROWS, COLS, 4)[:5]
    step = walk_step(start(), vbs)
    assert step.pending == {
        IF_NAME: (*IF_NAME, 2),
        IF_OPER_STATUS: (*IF_OPER_STATUS, 2),
        IF_HC_IN_OCTETS: (*IF_HC_IN_OCTETS, 1),
    }
    assert list(step.pending) == list(COLS)  # request order kept


def test_walk_only_pending_columns_are_positioned() -> None:
    # second request asks only for ifHCInOctets: every varbind belongs to it
    req = {IF_HC_IN_OCTETS: (*IF_HC_IN_OCTETS, 2)}
    vbs: list[VarBind] = [((*IF_HC_IN_OCTETS, 10), 7), ((*IF_HC_IN_OCTETS, 11), 8)]
    step = walk_step(req, vbs)
    assert step.pending == {IF_HC_IN_OCTETS: (*IF_HC_IN_OCTETS, 11)}
    assert step.rows == vbs


def test_walk_end_of_mib_stops_column() -> None:
    req = {IF_HIGH_SPEED: IF_HIGH_SPEED}
    step = walk_step(req, [((*IF_HIGH_SPEED, 1), 10), ((*IF_HIGH_SPEED, 1), END_OF_MIB)])
    assert step.pending == {}
    assert step.rows == [((*IF_HIGH_SPEED, 1), 10)]


def test_walk_stops_column_on_non_increasing_oid() -> None:
    req = {IF_NAME: (*IF_NAME, 5)}
    step = walk_step(req, [((*IF_NAME, 5), "loop"), ((*IF_NAME, 6), "x")])
    assert step.pending == {}
    assert step.rows == []
    assert step.progressed  # the column ended: the walk is done, not stuck


def test_walk_empty_table_column_ends_immediately() -> None:
    # agent without ifXTable: getnext of ifName lands in another subtree
    step = walk_step(start((IF_NAME,)), [((1, 3, 6, 1, 2, 1, 31, 1, 5, 0), 0)])
    assert step.pending == {} and step.rows == []


def test_walk_empty_response_makes_no_progress() -> None:
    step = walk_step(start(), [])
    assert not step.progressed
    assert step.pending == start()


@pytest.mark.parametrize(
    ("rows", "default", "cap", "expected"),
    [(None, 8, 25, 8), (0, 8, 25, 8), (4, 8, 25, 5), (60, 8, 25, 25), (None, 40, 25, 25)],
)
def test_repetitions_for(rows: int | None, default: int, cap: int, expected: int) -> None:
    assert repetitions_for(rows, default, cap) == expected

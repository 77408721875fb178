"""pollers.groups: strict group files and sorting varbinds into GroupData."""

from __future__ import annotations

from pathlib import Path

import pytest

from provnet.pollers.groups import PARSERS, Group, GroupError, group_data, load_group, load_groups
from provnet.pollers.ifmib import END_OF_MIB

ROOT = Path(__file__).resolve().parents[2]

GOOD = """\
name: g1
columns:
  rx: 1.3.6.1.4.1.2011.5.25.31.1.1.3.1.8
parser: optics_huawei
"""


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (GOOD + "colour: red\n", "colour: Extra inputs are not permitted"),
        (GOOD.replace("1.3.6.1.4.1.2011.5.25.31.1.1.3.1.8", "1.3.x"), "columns.rx"),
        (GOOD.replace("1.3.6.1.4.1.2011.5.25.31.1.1.3.1.8", "1.3"), "quoted dotted string"),
        (GOOD.replace("name: g1", "name: other"), "must match the file name"),
        (GOOD.replace("optics_huawei", "nope"), "parser: unknown parser 'nope'"),
        ("name: g1\nparser: optics_huawei\n", "at least one OID"),
        (GOOD + "every: hourly\n", "every"),
        ("- a\n- b\n", "must be a mapping"),
        ("name: [unclosed\n", "cannot read group"),
    ],
)
def test_bad_group_files_name_file_and_key(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "g1.yaml"
    path.write_text(text)
    with pytest.raises(GroupError) as err:
        load_group(path)
    assert str(path) in str(err.value)
    assert message in str(err.value)


def test_known_parsers_extend_the_registry(tmp_path: Path) -> None:
    (tmp_path / "g1.yaml").write_text(GOOD.replace("optics_huawei", "if_counters"))
    with pytest.raises(GroupError):
        load_groups(tmp_path)
    groups = load_groups(tmp_path, known_parsers=["if_counters"])
    assert groups["g1"].oids() == ([], [(1, 3, 6, 1, 4, 1, 2011, 5, 25, 31, 1, 1, 3, 1, 8)])


def test_shipped_groups_load_and_use_registered_parsers() -> None:
    groups = load_groups(ROOT / "config" / "profiles" / "groups")
    assert {"optics_entity", "optics_cisco", "optics_huawei", "optics_zte"} <= set(groups)
    assert all(g.parser in PARSERS for g in groups.values())


def test_group_data_sorts_scalars_and_columns() -> None:
    group = Group(
        name="g",
        scalars={"uptime": "1.3.6.1.2.1.1.3.0"},
        columns={"a": "1.3.6.1.9.1", "ab": "1.3.6.1.9.1.1", "b": ".1.3.6.1.9.2"},
        parser="optics_zte",
    )
    data = group_data(group, [
        ((1, 3, 6, 1, 2, 1, 1, 3, 0), 4242),
        ((1, 3, 6, 1, 9, 1, 7), -5),
        ((1, 3, 6, 1, 9, 1, 1, 3), "x"),  # longest column wins
        ((1, 3, 6, 1, 9, 2, 10, 1), "two-part"),
        ((1, 3, 6, 1, 9, 2, 11), None),  # noSuchInstance dropped
        ((1, 3, 6, 1, 9, 2, 12), END_OF_MIB),
        ((1, 3, 6, 1, 9, 3, 1), 1),  # not ours
        ((1, 3, 6, 1, 9, 1), 99),  # the column OID itself is no row
    ])
    assert data.scalars == {"uptime": 4242}
    assert data.columns == {"a": {(7,): -5}, "ab": {(3,): "x"}, "b": {(10, 1): "two-part"}}

"""Poll groups as data: which OIDs to read for one concern, and which parser reads them.

A group is one YAML file ``config/profiles/groups/<name>.yaml``::

    name: optics_huawei
    description: Huawei hwOpticalModuleInfoTable (HUAWEI-ENTITY-EXTENT-MIB)
    scalars: {}                       # name -> numeric OID of an instance (GET)
    columns:                          # name -> numeric OID of a table column (GETBULK walk)
      rx_power: 1.3.6.1.4.1.2011.5.25.31.1.1.3.1.8
    parser: optics_huawei             # key in PARSERS
    every: poll                       # poll | discovery

The profile engine reads the OIDs, builds a :class:`GroupData` with :func:`group_data` and
calls :func:`parse_group`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BeforeValidator, Field, ValidationError

from provnet.config.base import Strict
from provnet.pollers import health, optics
from provnet.pollers.errors import PollerError
from provnet.pollers.ifmib import EndOfMib, Oid, VarBind
from provnet.pollers.readings import GroupData, Reading, RowIndex

__all__ = [
    "PARSERS",
    "Group",
    "GroupData",
    "GroupError",
    "Parser",
    "group_data",
    "load_group",
    "load_groups",
    "parse_group",
]

Parser = Callable[[GroupData], list[Reading]]

#: Parser name (the ``parser:`` key of a group) -> pure parser.
PARSERS: dict[str, Parser] = {**optics.PARSERS, **health.PARSERS}


class GroupError(PollerError):
    """A group file is invalid (the message names the file and the key)."""


def _parse_oid(value: Any) -> Oid:
    if not isinstance(value, str):
        raise ValueError(f"OID must be a quoted dotted string, got {value!r}")
    text = value.strip().lstrip(".")
    parts = text.split(".")
    if len(parts) < 2 or not all(p.isdigit() for p in parts):
        raise ValueError(f"not a numeric OID: {value!r}")
    return tuple(int(p) for p in parts)


OidField = Annotated[Oid, BeforeValidator(_parse_oid)]


class Group(Strict):
    """One validated group file."""

    name: str
    description: str = ""
    scalars: dict[str, OidField] = Field(default_factory=dict)
    columns: dict[str, OidField] = Field(default_factory=dict)
    parser: str
    every: Literal["poll", "discovery"] = "poll"

    def oids(self) -> tuple[list[Oid], list[Oid]]:
        """``(scalar OIDs to GET, column OIDs to walk)`` in file order."""
        return list(self.scalars.values()), list(self.columns.values())


def _error_text(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"]) or "(file)"
        parts.append(f"{where}: {err['msg']}")
    return "; ".join(parts)


def load_group(path: Path, known_parsers: Iterable[str] = ()) -> Group:
    """Load and validate one group file; :class:`GroupError` names the file and key."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise GroupError(f"{path}: cannot read group: {exc}") from exc
    if not isinstance(raw, dict):
        raise GroupError(f"{path}: a group file must be a mapping")
    try:
        group = Group.model_validate(raw)
    except ValidationError as exc:
        raise GroupError(f"{path}: {_error_text(exc)}") from exc
    if group.name != path.stem:
        raise GroupError(f"{path}: name: {group.name!r} must match the file name {path.stem!r}")
    parsers = set(PARSERS) | set(known_parsers)
    if group.parser not in parsers:
        raise GroupError(
            f"{path}: parser: unknown parser {group.parser!r} (known: {', '.join(sorted(parsers))})"
        )
    if not group.scalars and not group.columns:
        raise GroupError(f"{path}: scalars/columns: a group must read at least one OID")
    return group


def load_groups(directory: Path, known_parsers: Iterable[str] = ()) -> dict[str, Group]:
    """All ``*.yaml`` groups of ``directory`` by name.

    ``known_parsers``: parser names handled outside :data:`PARSERS` (e.g. the interface
    counters the poll engine parses itself).
    """
    names = list(known_parsers)
    groups: dict[str, Group] = {}
    for path in sorted(directory.glob("*.yaml")):
        group = load_group(path, names)
        groups[group.name] = group
    return groups


def _columns_by_length(columns: Mapping[str, Oid]) -> dict[int, dict[Oid, str]]:
    by_len: dict[int, dict[Oid, str]] = {}
    for name, oid in columns.items():
        by_len.setdefault(len(oid), {})[oid] = name
    return by_len


def group_data(group: Group, varbinds: Iterable[VarBind]) -> GroupData:
    """Sort ``(oid, value)`` pairs read for ``group`` into a :class:`GroupData`.

    Scalars match their OID exactly; a column matches any OID below it (the rest is the row
    index). Varbinds outside the group, and noSuch*/endOfMibView values, are dropped.
    """
    scalar_names = {oid: name for name, oid in group.scalars.items()}
    # longest column first: a column nested under another one owns its rows
    by_len = dict(sorted(_columns_by_length(group.columns).items(), reverse=True))
    scalars: dict[str, Any] = {}
    columns: dict[str, dict[RowIndex, Any]] = {name: {} for name in group.columns}
    for oid, value in varbinds:
        if value is None or isinstance(value, EndOfMib):
            continue
        name = scalar_names.get(oid)
        if name is not None:
            scalars[name] = value
            continue
        for n, cols in by_len.items():
            if len(oid) > n and (col := cols.get(oid[:n])) is not None:
                columns[col][oid[n:]] = value
                break
    return GroupData(scalars=scalars, columns=columns)


def parse_group(group: Group, data: GroupData) -> list[Reading]:
    """Run the group's parser on ``data`` (pure)."""
    try:
        parser = PARSERS[group.parser]
    except KeyError as exc:
        raise GroupError(f"group {group.name}: no parser {group.parser!r}") from exc
    return parser(data)

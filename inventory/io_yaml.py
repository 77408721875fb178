"""The whole inventory as one YAML document (network-as-code in git).

``{format: provnet-inventory/1, sites: [{code: ..., name: ...}, ...], devices: [...], ...}``
with the same kinds and columns as the CSV files; blank values are left out. Reading keeps
each value's line and column for error messages.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from provnet.inventory.io_spec import KINDS, Issue, Row, Values

FORMAT = "provnet-inventory/1"
#: libyaml's parser and emitter when PyYAML was built with it (10x faster on a province)
_BASE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_NULLS = frozenset(("", "~", "null", "Null", "NULL"))


class _Loader(_BASE_LOADER):  # type: ignore[valid-type,misc]
    """Composes nodes only: a plain scalar is null or text (values are typed by the spec)."""

    def resolve(self, kind: type, value: object, implicit: tuple[bool, bool]) -> str:
        if kind is yaml.ScalarNode:
            return _NULL if implicit[0] and value in _NULLS else "tag:yaml.org,2002:str"
        return "tag:yaml.org,2002:seq" if kind is yaml.SequenceNode else "tag:yaml.org,2002:map"


_LOADER = _Loader
_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
_NULL = "tag:yaml.org,2002:null"


def read_yaml(path: Path, issues: list[Issue]) -> list[Row]:
    """Rows of every kind in one YAML document; problems go to ``issues``."""
    src = str(path)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        issues.append(Issue(src, 0, 0, f"cannot read: {exc.strerror or exc}"))
        return []
    except UnicodeDecodeError as exc:
        issues.append(Issue(src, 1, 1, f"not UTF-8 text (offset {exc.start})"))
        return []
    try:
        root = yaml.compose(text, Loader=_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        issues.append(Issue(src, mark.line + 1 if mark else 1, mark.column + 1 if mark else 1,
                            f"invalid YAML: {getattr(exc, 'problem', None) or exc}"))
        return []
    if root is None:
        return []
    if not isinstance(root, yaml.MappingNode):
        issues.append(_at(src, root, "expected a mapping of kinds (sites:, devices:, ...)"))
        return []
    rows: list[Row] = []
    for knode, vnode in root.value:
        kind = str(knode.value)
        if kind == "format":
            if vnode.value != FORMAT:
                issues.append(_at(src, vnode, f"unknown format {vnode.value!r} "
                                              f"(expected {FORMAT})"))
            continue
        if kind not in KINDS:
            issues.append(_at(src, knode, f"unknown kind {kind!r} ({', '.join(KINDS)})"))
            continue
        if vnode.tag == _NULL:
            continue
        if not isinstance(vnode, yaml.SequenceNode):
            issues.append(_at(src, vnode, f"{kind}: expected a list"))
            continue
        for item in vnode.value:
            row = _row(kind, src, item, issues)
            if row is not None:
                rows.append(row)
    return rows


def _at(src: str, node: yaml.Node, reason: str) -> Issue:
    return Issue(src, node.start_mark.line + 1, node.start_mark.column + 1, reason)


def _row(kind: str, src: str, node: yaml.Node, issues: list[Issue]) -> Row | None:
    if not isinstance(node, yaml.MappingNode):
        issues.append(_at(src, node, f"{kind}: expected a mapping per item"))
        return None
    spec = KINDS[kind]
    row = Row(kind, src, node.start_mark.line + 1, {})
    ok = True
    for k, v in node.value:
        name = str(k.value)
        if name not in spec.names:
            issues.append(_at(src, k, f"unknown column {name!r} for {kind}"))
            ok = False
            continue
        if not isinstance(v, yaml.ScalarNode):
            issues.append(_at(src, v, f"{name}: expected a single value"))
            ok = False
            continue
        row.values[name] = "" if v.tag == _NULL else str(v.value).strip()
        row.pos[name] = (v.start_mark.line + 1, v.start_mark.column + 1)
    for c in spec.columns:
        row.values.setdefault(c.name, "")
    return row if ok else None


def _typed(type_: str, text: str) -> Any:
    if type_ in ("int", "kbps"):
        return int(text)
    if type_ in ("float", "lat", "lon"):
        return float(text)
    if type_ == "bool":
        return text == "true"
    return text


def dump_yaml(data: Mapping[str, list[Values]]) -> str:
    """The YAML document of canonical records per kind (kinds in apply order)."""
    doc: dict[str, Any] = {"format": FORMAT}
    for kind, spec in KINDS.items():
        doc[kind] = [{c.name: _typed(c.type, rec[c.name]) for c in spec.columns
                      if rec.get(c.name, "") != ""} for rec in data.get(kind, [])]
    return yaml.dump(doc, Dumper=_DUMPER, allow_unicode=True, sort_keys=False, width=100)


def write_yaml(path: Path, data: Mapping[str, list[Values]]) -> Path:
    """Write the document to ``path``."""
    path.write_text(dump_yaml(data), encoding="utf-8")
    return path

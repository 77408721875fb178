"""Import and export of the whole inventory: files -> checked diff -> one transaction.

``plan_files`` reads every file, checks every row against the store and returns the diff or
every problem; ``apply_plan`` writes it in the same transaction, bumps the inventory version
(a running service picks the change up) and records who imported what.
"""

from __future__ import annotations

import gc
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from provnet.inventory import version
from provnet.inventory.apply import apply_diff
from provnet.inventory.errors import InventoryError
from provnet.inventory.importer import ImportPlan, plan_import
from provnet.inventory.io_csv import read_csv, write_csv
from provnet.inventory.io_spec import KINDS, Issue, Row
from provnet.inventory.io_yaml import read_yaml, write_yaml
from provnet.inventory.snapshot import snapshot, sorted_records
from provnet.inventory.store import Store

YAML_SUFFIXES = (".yaml", ".yml")


def read_inputs(paths: Sequence[Path]) -> tuple[list[Row], list[Issue]]:
    """Rows of every file (a directory: its ``*.csv`` and ``*.yaml`` files) and the problems."""
    rows: list[Row] = []
    issues: list[Issue] = []
    files: list[Path] = []
    for p in paths:
        if p.is_dir():
            found = sorted(f for f in p.iterdir()
                           if f.suffix.lower() in (".csv", *YAML_SUFFIXES))
            if not found:
                issues.append(Issue(str(p), 0, 0, "no .csv or .yaml file in this directory"))
            files.extend(found)
        elif p.exists():
            files.append(p)
        else:
            issues.append(Issue(str(p), 0, 0, "no such file"))
    for f in files:
        if f.suffix.lower() in YAML_SUFFIXES:
            rows.extend(read_yaml(f, issues))
        elif f.suffix.lower() == ".csv":
            rows.extend(read_csv(f, issues))
        else:
            issues.append(Issue(str(f), 0, 0, "unknown file type (expected .csv or .yaml)"))
    return rows, issues


def plan_rows(s: Session, rows: list[Row], issues: list[Issue], prune: bool,
              poller_groups: Collection[str] | None = None) -> ImportPlan:
    """The diff of ``rows`` against the store in session ``s`` (see :func:`plan_import`)."""
    return plan_import(rows, snapshot(s), prune, issues, poller_groups=poller_groups)


def import_files(store: Store, paths: Sequence[Path], prune: bool = False,
                 dry_run: bool = False, actor: str = "import",
                 poller_groups: Collection[str] | None = None) -> ImportPlan:
    """Check ``paths`` and, when nothing is wrong and not ``dry_run``, apply them in one
    transaction. The plan tells what was (or would be) added, changed and removed.
    ``poller_groups``: the ``cluster.groups`` names a ``poller_group`` must be one of."""
    with _no_gc():
        rows, issues = read_inputs(paths)
        return import_rows(store, rows, issues, prune, dry_run, actor,
                           ", ".join(map(str, paths)), poller_groups)


@contextmanager
def _no_gc() -> Iterator[None]:
    """No cyclic garbage collection while millions of acyclic row dicts are built (the
    collector would walk them again and again: a third of a country-sized dry run)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def import_rows(store: Store, rows: list[Row], issues: list[Issue], prune: bool = False,
                dry_run: bool = False, actor: str = "import", label: str = "",
                poller_groups: Collection[str] | None = None) -> ImportPlan:
    """:func:`import_files` for rows already read (the units source, discovery, NetBox)."""
    try:
        with store.session() as s:
            plan = plan_rows(s, rows, issues, prune, poller_groups)
            if plan.ok and not dry_run and any(plan.diff.values()):
                apply_diff(s, plan.diff)
                version.bump(s)
                version.record(s, actor, "import", label, "import", None,
                               {k: dict(zip(("added", "changed", "removed"), v, strict=True))
                                for k, v in plan.counts().items()})
    except SQLAlchemyError as exc:
        raise InventoryError(f"import failed, nothing written: {exc}") from exc
    return plan


def export(store: Store, directory: Path, fmt: str = "csv") -> list[Path]:
    """Write the whole inventory to ``directory`` (one CSV per kind, or ``inventory.yaml``)."""
    directory.mkdir(parents=True, exist_ok=True)
    with store.session() as s:
        data = sorted_records(snapshot(s))
    if fmt == "yaml":
        return [write_yaml(directory / "inventory.yaml", data)]
    return [write_csv(directory, k, data[k]) for k in KINDS]


def describe(plan: ImportPlan, verbose: bool = True) -> list[str]:
    """Human-readable diff: a summary line per kind, then each change."""
    out: list[str] = []
    for kind, d in plan.diff.items():
        out.append(f"{kind}: {len(d.added)} to add, {len(d.changed)} to change, "
                   f"{len(d.removed)} to remove")
        if not verbose:
            continue
        for key in d.added:
            out.append(f"  + {'/'.join(key)}")
        for key, (old, new) in d.changed.items():
            fields = ", ".join(f"{c}: {old[c]!r} -> {new[c]!r}" for c in new if old[c] != new[c])
            out.append(f"  ~ {'/'.join(key)}: {fields}")
        for key in d.removed:
            out.append(f"  - {'/'.join(key)}")
    if not plan.diff:
        out.append("nothing to import")
    return out

"""Import planning (pure): input rows + the store's snapshot -> every error, or the diff.

Every row of every file is checked before anything is written; all problems are returned
together as ``file:line:column: reason``. The diff is per kind: added, changed (before and
after) and, only with ``prune``, removed. A kind with no input rows is never pruned.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field

from provnet.inventory.io_spec import (
    KINDS,
    ORDER,
    SECTOR_REQUIRED,
    Column,
    Issue,
    Key,
    Row,
    Values,
    tag_form,
)
from provnet.inventory.io_spec import canonical as canon_value
from provnet.inventory.snapshot import Snapshot

PRUNE_SOURCE = "--prune"


@dataclass
class KindDiff:
    """What an import does to one kind."""

    added: dict[Key, Values] = field(default_factory=dict)
    changed: dict[Key, tuple[Values, Values]] = field(default_factory=dict)
    removed: dict[Key, Values] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.added or self.changed or self.removed)


@dataclass
class ImportPlan:
    """The diff per kind (empty when nothing changes) and the problems found."""

    diff: dict[str, KindDiff]
    issues: list[Issue]

    @property
    def ok(self) -> bool:
        return not self.issues

    def counts(self) -> dict[str, tuple[int, int, int]]:
        return {k: (len(d.added), len(d.changed), len(d.removed)) for k, d in self.diff.items()}


def _plan(kind: str) -> list[tuple[str, str, bool, str, Column, dict[str, str]]]:
    """Per column: name, type, required, blank value, the column and a cache of values."""
    return [(c.name, c.type, c.required, c.blank(), c, {}) for c in KINDS[kind].columns]


def canonical_rows(rows: Iterable[Row], issues: list[Issue]) -> dict[str, dict[Key, tuple[
        Values, Row]]]:
    """Rows -> canonical records per kind and key; bad values and duplicate keys -> issues."""
    out: dict[str, dict[Key, tuple[Values, Row]]] = defaultdict(dict)
    seen: dict[tuple[str, Key], Row] = {}
    plans = {k: _plan(k) for k in KINDS}
    for row in rows:
        spec = KINDS[row.kind]
        values = row.values
        rec: Values = {}
        ok = True
        bad: set[str] = set()  # columns whose value is wrong (the rest is still checked)
        for name, type_, required, blank, col, cache in plans[row.kind]:
            text = values.get(name, "")
            if text == "":
                if required:
                    issues.append(Issue(row.source, *row.where(name),
                                        f"{name}: a value is required"))
                    ok = False
                rec[name] = blank
            elif type_ == "str":  # the common case, without a call
                rec[name] = text
            elif text in cache:
                rec[name] = cache[text]
            else:
                try:
                    rec[name] = cache[text] = canon_value(col, text)
                except ValueError as exc:
                    issues.append(Issue(row.source, *row.where(name), f"{name}: {exc}"))
                    rec[name] = ""
                    bad.add(name)
        if row.kind == "bts" and rec.get("sector"):
            for name in SECTOR_REQUIRED:
                if not rec.get(name) and not values.get(name):
                    issues.append(Issue(row.source, *row.where(name),
                                        f"{name}: required for a sector"))
                    ok = False
        if bad and bad.intersection(spec.key):
            key = tuple(rec.get(k) or values.get(k, "") for k in spec.key)
        else:
            key = tuple([rec[k] for k in spec.key])
        first = seen.setdefault((row.kind, key), row)
        if first is not row:
            issues.append(Issue(row.source, *row.where(spec.key[0]),
                                f"duplicate {row.kind} key {'/'.join(key)!r} "
                                f"(first at {first.source}:{first.line})"))
            continue
        if ok and not (bad and bad.intersection(spec.key)):
            # a row with a wrong value is still checked for its references (never written:
            # its issue stops the import); its key columns are canonical here
            out[row.kind][key] = (rec, row)
    return out


class _Checker:
    """Reference and uniqueness checks over the state after the import."""

    def __init__(self, eff: dict[str, dict[Key, Values]], rows: dict[str, dict[Key, tuple[
            Values, Row]]], removed: dict[str, set[Key]], issues: list[Issue],
                 poller_groups: Collection[str] | None = None) -> None:
        self.eff, self.rows, self.removed, self.issues = eff, rows, removed, issues
        #: the centre's ``cluster.groups`` names (None: not checked, no groups defined)
        self.poller_groups = poller_groups

    def known_groups(self, kind: str) -> None:
        """Each record's ``poller_group`` is a group of the settings (when they define any);
        only records of the input are checked (a stored one is the store's business)."""
        if not self.poller_groups:
            return
        known = set(self.poller_groups)
        for key in self.rows.get(kind, {}):
            group = self.eff[kind].get(key, {}).get("poller_group", "")
            if group and group not in known:
                self.fail(kind, key, "poller_group", f"unknown poller group {group!r} "
                          f"(cluster.groups: {', '.join(sorted(known))})")

    def fail(self, kind: str, key: Key, column: str, reason: str) -> None:
        hit = self.rows.get(kind, {}).get(key)
        if hit is not None:
            row = hit[1]
            self.issues.append(Issue(row.source, *row.where(column), f"{column}: {reason}"))
        else:
            self.issues.append(Issue(PRUNE_SOURCE, 0, 0, f"{kind} {'/'.join(key)} (kept in the "
                                     f"store) {column}: {reason}"))

    def ref(self, kind: str, column: str, target: str, make: str = "",
            pick: tuple[str, ...] = ()) -> None:
        """Each record's ``column`` (or ``pick`` columns) names an existing ``target``."""
        have = self.eff[target]
        gone = self.removed.get(target, set())
        for key, rec in self.eff[kind].items():
            ref = tuple(rec[c] for c in (pick or (column,)))
            if not any(ref) or ref in have:
                continue
            why = "removed by --prune" if ref in gone else "unknown"
            self.fail(kind, key, column, f"{why} {make or target[:-1]} {'/'.join(ref)!r}")

    def unique_tags(self, kind: str, column: str) -> None:
        seen: dict[str, Key] = {}
        for key, rec in self.eff[kind].items():
            t = tag_form(rec[column])
            other = seen.setdefault(t, key)
            if other != key:
                self.fail(kind, key, column, f"{rec[column]!r} and {'/'.join(other)!r} become "
                                             "the same InfluxDB tag")


def _check(c: _Checker) -> None:
    eff = c.eff
    units_by_code = {code for _, code in eff["units"]}
    removed_sites = c.removed.get("sites", set())
    for key, rec in eff["units"].items():
        if rec["parent"] and (rec["generation"], rec["parent"]) not in eff["units"]:
            c.fail("units", key, "parent", f"unknown {rec['generation']} unit {rec['parent']!r}")
    for key, rec in eff["unit_mappings"].items():
        for col, gen in (("old_code", "legacy"), ("new_code", "2025")):
            if (gen, rec[col]) not in eff["units"]:
                c.fail("unit_mappings", key, col, f"unknown {gen} unit {rec[col]!r}")
    for key, rec in eff["sites"].items():
        for col in ("region", "commune"):
            if rec[col] and rec[col] not in units_by_code:
                c.fail("sites", key, col, f"unknown administrative unit {rec[col]!r}")
    c.ref("devices", "site", "sites")
    c.ref("interfaces", "device", "devices")
    c.ref("bts", "site", "sites")
    c.ref("fibre_points", "site", "sites")
    for key, rec in eff["contacts"].items():
        for code in rec["districts"].split():
            if code not in units_by_code:
                c.fail("contacts", key, "districts", f"unknown administrative unit {code!r}")
        for code in rec["sites"].split():
            if (code,) not in eff["sites"]:
                why = "removed by --prune" if (code,) in removed_sites else "unknown"
                c.fail("contacts", key, "sites", f"{why} site {code!r}")
        if not (rec["email"] or rec["chat_id"] or rec["phone"]):
            c.fail("contacts", key, "email", "a contact needs an email, chat_id or phone")
    c.known_groups("sites")
    c.known_groups("devices")
    c.unique_tags("sites", "code")
    c.unique_tags("devices", "name")
    ifidx: dict[tuple[str, str], Key] = {}
    for key, rec in eff["interfaces"].items():
        if rec["ifindex"]:
            other = ifidx.setdefault((rec["device"], rec["ifindex"]), key)
            if other != key:
                c.fail("interfaces", key, "ifindex", f"ifIndex {rec['ifindex']} already used "
                                                     f"by interface {other[1]!r}")
    numbers: dict[Key, list[int]] = defaultdict(list)
    for key in eff["bts"]:
        if key[2]:
            numbers[key[:2]].append(int(key[2]))
    for bts, nums in numbers.items():
        if sorted(nums) != list(range(1, len(nums) + 1)):
            first = min(k for k in eff["bts"] if k[:2] == bts and k[2])
            c.fail("bts", first, "sector", f"sectors of BTS {'/'.join(bts)} must be numbered "
                                           f"1..{len(nums)} (got {sorted(nums)})")
    used: dict[Key, Key] = {}
    cids: dict[str, Key] = {}
    for key, rec in eff["links"].items():
        for side, col in (("side_a", "side_a_name"), ("side_b", "side_b_name")):
            end = (rec[f"{side}_device"], rec[f"{side}_name"])
            if end not in eff["interfaces"]:
                if (end[0],) not in eff["devices"]:
                    c.fail("links", key, f"{side}_device", f"unknown device {end[0]!r}")
                else:
                    c.fail("links", key, col, f"unknown interface {end[1]!r} on device "
                                              f"{end[0]!r} (list it in interfaces)")
                continue
            other = used.setdefault(end, key)
            if other != key:
                c.fail("links", key, col, f"interface {end[0]}/{end[1]} is already an end of "
                                          f"link {'/'.join(other)}")
        if rec["side_a_device"] == rec["side_b_device"]:
            c.fail("links", key, "side_b_device", "both ends on the same device")
        if rec["cid"]:
            other = cids.setdefault(rec["cid"], key)
            if other != key:
                c.fail("links", key, "cid", f"circuit id {rec['cid']!r} already used by link "
                                            f"{'/'.join(other)}")


def plan_import(rows: Iterable[Row], store: Snapshot, prune: bool = False,
                issues: list[Issue] | None = None,
                remove: Mapping[str, set[Key]] | None = None,
                poller_groups: Collection[str] | None = None) -> ImportPlan:
    """Check ``rows`` against the store's snapshot and compute the diff (see module doc).

    ``remove``: keys to remove explicitly (a sync's deletions), checked like a prune;
    ``poller_groups``: the centre's ``cluster.groups`` names: a ``poller_group`` of the input
    that is not one of them is an error (not checked when None or empty)."""
    issues = list(issues or [])
    given = canonical_rows(rows, issues)
    eff: dict[str, dict[Key, Values]] = {k: dict(store.get(k, {})) for k in ORDER}
    removed: dict[str, set[Key]] = {}
    diff: dict[str, KindDiff] = {}
    for kind in ORDER:
        recs = given.get(kind)
        if not recs:
            continue  # no rows of this kind: nothing added, changed or removed
        before = store.get(kind, {})
        d = KindDiff()
        for key, (rec, _row) in recs.items():
            old = before.get(key)
            if kind == "interfaces" and not rec["ifindex"] and old and old["ifindex"]:
                rec["ifindex"] = old["ifindex"]  # learnt from SNMP: kept
            if old is None:
                d.added[key] = rec
            elif old != rec:
                d.changed[key] = (old, rec)
        if kind == "bts":  # a sector-less row of a BTS that has sectors is already there
            with_sectors = {k[:2] for k in before if k[2]}
            for key in [k for k in d.added if not k[2] and k[:2] in with_sectors]:
                del d.added[key]
                del recs[key]
        if prune:
            wanted = set(recs)
            if kind == "bts":
                wanted |= {(*k[:2], "") for k in recs}
            d.removed = {k: v for k, v in before.items() if k not in wanted}
            removed[kind] = set(d.removed)
            eff[kind] = {k: r for k, (r, _) in recs.items()}
        else:
            eff[kind].update({k: r for k, (r, _) in recs.items()})
        diff[kind] = d
    for kind, keys in (remove or {}).items():
        before = store.get(kind, {})
        gone = {k: before[k] for k in keys if k in before and k not in given.get(kind, {})}
        if not gone:
            continue
        d = diff.setdefault(kind, KindDiff())
        d.removed.update(gone)
        removed.setdefault(kind, set()).update(gone)
        for k in gone:
            eff[kind].pop(k, None)
    _check(_Checker(eff, given, removed, issues, poller_groups))
    issues.sort()
    return ImportPlan(diff, issues)

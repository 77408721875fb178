"""Issue 11 must-show: the demo inventory exported, imported into an empty store and exported
again is identical (CSV and YAML); one bad row among valid ones changes nothing and is named;
an interface renumbered by its device keeps its name and gets the new ifIndex."""

from __future__ import annotations

import filecmp
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner, Result

from provnet.cli import app
from provnet.demo.seed import seed_demo
from provnet.inventory import ifindex, model, version
from provnet.inventory.store import Store, open_store
from provnet.inventory.transfer import export, import_files

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Store:
    d = tmp_path_factory.mktemp("demo")
    store = open_store(f"sqlite:///{d}/demo.db")
    seed_demo(store)
    return store


def _same_tree(a: Path, b: Path) -> None:
    names = sorted(p.name for p in a.iterdir())
    assert names == sorted(p.name for p in b.iterdir())
    for n in names:
        assert filecmp.cmp(a / n, b / n, shallow=False), n


@pytest.mark.parametrize("fmt", ["csv", "yaml"])
def test_demo_round_trip_is_exact(demo: Store, tmp_path: Path, fmt: str) -> None:
    first = tmp_path / "first"
    export(demo, first, fmt)
    empty = open_store(f"sqlite:///{tmp_path}/empty.db")
    plan = import_files(empty, [first])
    assert plan.ok, plan.issues[:5]
    counts = plan.counts()
    assert counts["devices"] == (184, 0, 0) and counts["links"] == (189, 0, 0)
    assert counts["sites"][0] > 7000 and counts["bts"][0] > 10000
    second = tmp_path / "second"
    export(empty, second, fmt)
    _same_tree(first, second)
    again = import_files(empty, [second])  # idempotent: nothing to do
    assert again.ok and not any(again.diff.values())
    empty.close()


def test_one_bad_row_changes_nothing_and_is_named(demo: Store, tmp_path: Path) -> None:
    src = tmp_path / "src"
    export(demo, src)
    for kind in ("bts", "fibre_points"):  # not needed here: keeps the test short
        (src / f"{kind}.csv").unlink()
    cfg = tmp_path / "provnet.yaml"
    cfg.write_text(f"state_dir: {tmp_path / 'state'}\n", encoding="utf-8")
    cli = CliRunner()

    def run(*args: str) -> Result:
        return cli.invoke(app, ["inventory", *args, "--config", str(cfg)])

    ok = run("import", str(src))
    assert ok.exit_code == 0, ok.output
    before, after = tmp_path / "before", tmp_path / "after"
    assert run("export", str(before)).exit_code == 0
    # valid changes to two files, and one bad row in the middle of the sites
    sites = (src / "sites.csv").read_text(encoding="utf-8").splitlines()
    lat = sites[0].split(",").index("latitude")
    sites[1] = sites[1].replace(sites[1].split(",")[1], "Tên mới", 1)
    bad = sites[200].split(",")
    bad[lat] = "123.4"
    sites[200] = ",".join(bad)
    (src / "sites.csv").write_text("\n".join(sites) + "\n", encoding="utf-8")
    devices = (src / "devices.csv").read_text(encoding="utf-8")
    (src / "devices.csv").write_text(devices.replace(",core,", ",core-new,", 1), "utf-8")
    expected = f"{src / 'sites.csv'}:201:{lat + 1}: latitude: latitude 123.4 out of range"
    for args in (("--dry-run",), ()):
        res = run("import", str(src), *args)
        assert res.exit_code == 1 and expected in res.output, res.output
        assert "1 error(s): nothing was written" in res.output
    assert run("export", str(after)).exit_code == 0
    _same_tree(before, after)
    # fixed: the dry run lists exactly the two valid changes
    bad[lat] = "10.5"
    sites[200] = ",".join(bad)
    (src / "sites.csv").write_text("\n".join(sites) + "\n", encoding="utf-8")
    dry = run("import", str(src), "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "sites: 0 to add, 2 to change, 0 to remove" in dry.output
    assert "devices: 0 to add, 1 to change, 0 to remove" in dry.output
    assert "dry run: nothing was written" in dry.output


def _set_column(path: Path, column: str, values: dict[str, str]) -> None:
    """Set ``column`` of the rows whose first field is a key of ``values``."""
    lines = path.read_text(encoding="utf-8").splitlines()
    at = lines[0].split(",").index(column)
    for i, line in enumerate(lines[1:], 1):
        fields = line.split(",")
        if fields[0] in values:
            fields[at] = values[fields[0]]
            lines[i] = ",".join(fields)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_poller_group_round_trip_and_check(demo: Store, tmp_path: Path) -> None:
    """Issue 16: ``poller_group`` on sites and devices survives CSV -> store -> CSV -> YAML ->
    store -> YAML exactly; with ``cluster.groups`` in the settings an unknown group is an
    error naming file:line:column and nothing is written."""
    src = tmp_path / "src"
    export(demo, src)
    for kind in ("bts", "fibre_points", "interfaces", "links", "contacts"):
        (src / f"{kind}.csv").unlink()
    _set_column(src / "sites.csv", "poller_group", {"POP-891": "tri-ton", "POP-886": "chau-doc"})
    _set_column(src / "devices.csv", "poller_group", {"ag-pop-891": "chau-doc"})
    assert (src / "sites.csv").read_text(encoding="utf-8").count(",tri-ton\n") == 1
    assert (src / "devices.csv").read_text(encoding="utf-8").count(",chau-doc\n") == 1
    cfg = tmp_path / "provnet.yaml"
    cfg.write_text(f"state_dir: {tmp_path / 'state'}\ncluster:\n  groups:\n"
                   "  - {name: tri-ton, nodes: [n1]}\n  - {name: chau-doc, nodes: [n2]}\n",
                   encoding="utf-8")
    cli = CliRunner()

    def run(*args: str) -> Result:
        return cli.invoke(app, ["inventory", *args, "--config", str(cfg)])

    bad = tmp_path / "bad"
    bad.mkdir()
    for f in src.iterdir():
        (bad / f.name).write_bytes(f.read_bytes())
    _set_column(bad / "sites.csv", "poller_group", {"POP-884": "long-xuyen"})
    lines = (bad / "sites.csv").read_text(encoding="utf-8").splitlines()
    line = next(i for i, t in enumerate(lines, 1) if t.startswith("POP-884,"))
    col = lines[0].split(",").index("poller_group") + 1
    res = run("import", str(bad))
    assert res.exit_code == 1, res.output
    assert (f"{bad / 'sites.csv'}:{line}:{col}: poller_group: unknown poller group "
            "'long-xuyen' (cluster.groups: chau-doc, tri-ton)") in res.output
    assert "1 error(s): nothing was written" in res.output
    ok = run("import", str(src))
    assert ok.exit_code == 0, ok.output
    out_csv, out_yaml = tmp_path / "csv", tmp_path / "yaml"
    assert run("export", str(out_csv)).exit_code == 0
    for kind in ("sites", "devices"):
        assert filecmp.cmp(src / f"{kind}.csv", out_csv / f"{kind}.csv", shallow=False), kind
    assert run("export", str(out_yaml), "--format", "yaml").exit_code == 0
    text = (out_yaml / "inventory.yaml").read_text(encoding="utf-8")
    assert text.count("poller_group: tri-ton") == 1 and text.count("poller_group: chau-doc") == 2
    other = open_store(f"sqlite:///{tmp_path}/other.db")
    plan = import_files(other, [out_yaml / "inventory.yaml"], poller_groups=["tri-ton",
                                                                               "chau-doc"])
    assert plan.ok, plan.issues[:5]
    again = tmp_path / "again"
    export(other, again, "yaml")
    _same_tree(out_yaml, again)
    with other.session() as s:
        groups = dict(s.execute(select(model.Site.code, model.Site.poller_group)
                                .where(model.Site.poller_group.is_not(None))).all())
    assert groups == {"POP-891": "tri-ton", "POP-886": "chau-doc"}
    other.close()


def test_renumbered_interfaces_follow_their_names(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path}/r.db")
    files = tmp_path / "in"
    files.mkdir()
    (files / "sites.csv").write_text("code,name,kind,latitude,longitude\nS,Trạm,core,10,105\n")
    (files / "devices.csv").write_text("name,site,role,primary_ip4\nr1,S,core,10.0.0.1\n")
    (files / "interfaces.csv").write_text("device,name\nr1,ge-0/0/0\nr1,ge-0/0/1\nr1,lo0\n")
    assert import_files(store, [files]).ok
    with store.session() as s:
        dev = s.scalar(select(model.Device.id))
        assert dev is not None
        v0 = version.current(s)
        names = ifindex.device_ifindexes(s)[dev]
        assert names == {"ge-0/0/0": None, "ge-0/0/1": None, "lo0": None}
        first = ifindex.resolve(names, ifindex.seen_names([(1, "ge-0/0/0"), (2, "ge-0/0/1"),
                                                           (3, "lo0"), (4, "eth9")]))
        assert ifindex.store_ifindexes(s, dev, first) == 3
    # after a reboot the device swaps the two ports' numbers
    with store.session() as s:
        names = ifindex.device_ifindexes(s)[dev]
        swap = ifindex.resolve(names, ifindex.seen_names([(2, "ge-0/0/0"), (1, "ge-0/0/1"),
                                                          (3, "lo0")]))
        assert swap == {"ge-0/0/0": 2, "ge-0/0/1": 1}
        ifindex.store_ifindexes(s, dev, swap)
    with store.session() as s:
        assert ifindex.device_ifindexes(s)[dev] == {"ge-0/0/0": 2, "ge-0/0/1": 1, "lo0": 3}
        assert version.current(s) == v0 + 2
        audit = s.scalars(select(model.InventoryChange).where(
            model.InventoryChange.action == "ifindex")).all()
        assert len(audit) == 2 and audit[1].actor == "snmp"
    # a re-import without ifindex keeps what SNMP learnt
    plan = import_files(store, [files])
    assert plan.ok and not any(plan.diff.values())
    store.close()

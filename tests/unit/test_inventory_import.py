"""Inventory import planning (pure): parsing, canonical values, every error at once, diff."""

from __future__ import annotations

from pathlib import Path

import pytest

from provnet.inventory.importer import plan_import
from provnet.inventory.io_csv import parse_csv, read_csv
from provnet.inventory.io_spec import KINDS, Issue, Row, canonical, tag_form
from provnet.inventory.io_yaml import dump_yaml, read_yaml
from provnet.inventory.names import split_unit_name
from provnet.inventory.snapshot import Snapshot, key_of

SITES = "code,name,kind,latitude,longitude\nCORE,Lõi,core,10.5,105.1\nPOP1,PoP Một,pop,10.6,105\n"
DEVICES = "name,site,role,primary_ip4\ncore1,CORE,core,10.0.0.1/24\npop1,POP1,router,10.0.0.2\n"
IFACES = "device,name,speed\ncore1,ge-0/0/1,1000000\npop1,ge-0/0/0,1000000\n"
LINKS = ("side_a_device,side_a_name,side_b_device,side_b_name,kind,commit_rate,cid\n"
         "pop1,ge-0/0/0,core1,ge-0/0/1,fibre,1000000,C1\n")


def rows_of(files: dict[str, str]) -> tuple[list[Row], list[Issue]]:
    issues: list[Issue] = []
    rows: list[Row] = []
    for kind, text in files.items():
        rows += parse_csv(kind, f"{kind}.csv", text, issues)
    return rows, issues


def base_files() -> dict[str, str]:
    return {"sites": SITES, "devices": DEVICES, "interfaces": IFACES, "links": LINKS}


def snapshot_of(files: dict[str, str]) -> Snapshot:
    """What the store would hold after importing ``files`` into an empty store."""
    rows, issues = rows_of(files)
    plan = plan_import(rows, {}, issues=issues)
    assert plan.ok, plan.issues
    return {k: dict(d.added) for k, d in plan.diff.items()}


@pytest.mark.parametrize(("type_", "text", "out"), [
    ("float", "10", "10.0"), ("float", " 1e1", "10.0"), ("lat", "-90", "-90.0"),
    ("int", "1_000", "1000"), ("kbps", "1000000", "1000000"), ("bool", "Yes", "true"),
    ("bool", "0", "false"), ("date", "2025-07-01", "2025-07-01"),
    ("ip", "10.0.0.1/24", "10.0.0.1"), ("ip", "2001:db8::1", "2001:db8::1"),
])
def test_canonical_values(type_: str, text: str, out: str) -> None:
    col = next(c for k in KINDS.values() for c in k.columns if c.type == type_)
    assert canonical(col, text.strip()) == out


@pytest.mark.parametrize(("type_", "text", "reason"), [
    ("lat", "95", "latitude 95.0 out of range"), ("lon", "-181", "longitude -181.0 out of range"),
    ("float", "abc", "not a number"), ("float", "nan", "not a finite number"),
    ("kbps", "1500", "not a whole number of Mbit/s"), ("ip", "10.0.0.300", "not an IP address"),
    ("bool", "maybe", "not true or false"), ("date", "1/7/2025", "not a date"),
])
def test_canonical_rejects(type_: str, text: str, reason: str) -> None:
    col = next(c for k in KINDS.values() for c in k.columns if c.type == type_)
    with pytest.raises(ValueError, match=reason):
        canonical(col, text)


@pytest.mark.parametrize(("name", "short", "utype"), [
    ("Thị trấn Tri Tôn", "Tri Tôn", "Thị trấn"), ("Thành phố Châu Đốc", "Châu Đốc", "Thành phố"),
    ("Xã Vĩnh Hanh", "Vĩnh Hanh", "Xã"), ("Phường 1", "1", "Phường"), ("Tỉnh An Giang",
                                                                      "An Giang", "Tỉnh"),
    ("Đặc khu Phú Quốc", "Phú Quốc", "Đặc khu"), ("Khu vực lạ", "Khu vực lạ", ""),
])
def test_unit_names_are_derived(name: str, short: str, utype: str) -> None:
    assert split_unit_name(name) == (short, utype)


def test_bom_crlf_and_semicolons_are_accepted(tmp_path: Path) -> None:
    excel = "\ufeffcode;name;kind;latitude;longitude\r\nCORE;Lõi;core;10,5;105\r\n"
    p = tmp_path / "sites.csv"
    p.write_bytes(excel.replace("10,5", "10.5").encode("utf-8"))
    issues: list[Issue] = []
    rows = read_csv(p, issues)
    assert not issues and rows[0].values["code"] == "CORE" and rows[0].values["name"] == "Lõi"


def test_non_utf8_and_binary_files_are_named(tmp_path: Path) -> None:
    latin = tmp_path / "sites.csv"
    latin.write_bytes("code,name\nX,Lôi\n".encode("cp1258"))
    binary = tmp_path / "devices.csv"
    binary.write_bytes(b"\x00\x01\x02name")
    unknown = tmp_path / "routers.csv"
    unknown.write_text("a\n")
    issues: list[Issue] = []
    for p in (latin, binary, unknown):
        assert read_csv(p, issues) == []
    text = "\n".join(map(str, issues))
    assert f"{latin}:2:1: not UTF-8" in text
    assert f"{binary}:1:1: binary content" in text or f"{binary}:1:1: not UTF-8" in text
    assert f"{unknown}:1:1: unknown file" in text


def test_every_error_of_every_file_at_once() -> None:
    files = base_files()
    files["sites"] += "POP2,PoP Hai,pop,95,105\nPOP1,again,pop,10,105\nBAD,x,castle,10,105\n"
    files["devices"] += "ghost,NOWHERE,router,10.0.0.3\npop1,POP1,router,10.0.0.9\n"
    files["interfaces"] += "nobody,eth0,\n"
    files["links"] += "pop1,ge-0/0/0,core1,ge-9/9/9,fibre,1000000,C2\n"
    rows, issues = rows_of(files)
    plan = plan_import(rows, {}, issues=issues)
    got = [str(i) for i in plan.issues]
    assert "sites.csv:4:4: latitude: latitude 95.0 out of range [-90, 90]" in got
    assert "sites.csv:5:1: duplicate sites key 'POP1' (first at sites.csv:3)" in got
    assert any(g.startswith("sites.csv:6:3: kind: 'castle' is not one of") for g in got)
    assert "devices.csv:4:2: site: unknown site 'NOWHERE'" in got
    assert "devices.csv:5:1: duplicate devices key 'pop1' (first at devices.csv:3)" in got
    assert "interfaces.csv:4:1: device: unknown device 'nobody'" in got
    assert ("links.csv:3:1: duplicate links key 'pop1/ge-0/0/0' (first at links.csv:2)"
            in got)
    assert len(got) == 7, got


def test_link_end_used_twice_and_tag_collisions() -> None:
    files = base_files()
    files["devices"] += "pop2,POP1,router,10.0.0.3\nPOP2 ,POP1,router,10.0.0.4\n"
    files["interfaces"] += "pop2,ge-0/0/0,\n"
    files["links"] += "pop2,ge-0/0/0,core1,ge-0/0/1,fibre,1000000,C1\n"
    rows, issues = rows_of(files)
    got = [str(i) for i in plan_import(rows, {}, issues=issues).issues]
    assert ("links.csv:3:4: side_b_name: interface core1/ge-0/0/1 is already an end of link "
            "pop1/ge-0/0/0") in got
    assert "links.csv:3:7: cid: circuit id 'C1' already used by link pop1/ge-0/0/0" in got
    assert any(g.startswith("devices.csv:5:1: name: 'POP2' and 'pop2' become the same "
                            "InfluxDB tag") for g in got), got


def test_tag_form() -> None:
    assert tag_form("a\tb") == tag_form("a b") == tag_form("A B")
    assert tag_form("x\\") == tag_form("x")
    assert tag_form("a,b") != tag_form("ab")


def test_upsert_is_idempotent_and_diffs_changes() -> None:
    store = snapshot_of(base_files())
    rows, issues = rows_of(base_files())
    again = plan_import(rows, store, issues=issues)
    assert again.ok and not any(again.diff.values())
    files = base_files()
    files["sites"] = SITES.replace("Lõi", "Lõi mới")
    rows, issues = rows_of(files)
    plan = plan_import(rows, store, issues=issues)
    assert plan.counts()["sites"] == (0, 1, 0)
    old, new = plan.diff["sites"].changed[("CORE",)]
    assert (old["name"], new["name"]) == ("Lõi", "Lõi mới")


def test_nothing_is_deleted_without_prune_and_empty_files_never_delete() -> None:
    store = snapshot_of(base_files())
    only_core = {"sites": "code,name,kind,latitude,longitude\nCORE,Lõi,core,10.5,105.1\n"}
    rows, issues = rows_of(only_core)
    assert plan_import(rows, store, issues=issues).counts() == {"sites": (0, 0, 0)}
    for empty in ("", "code,name,kind,latitude,longitude\n"):
        rows, issues = rows_of({"sites": empty})
        plan = plan_import(rows, store, prune=True, issues=issues)
        assert plan.ok and plan.diff == {}
    # pruning a site its devices still use is an error, not a cascade
    rows, issues = rows_of(only_core)
    plan = plan_import(rows, store, prune=True, issues=issues)
    assert [str(i) for i in plan.issues] == [
        "--prune:0:0: devices pop1 (kept in the store) site: removed by --prune site 'POP1'"]


def test_prune_removes_what_the_files_do_not_list() -> None:
    store = snapshot_of(base_files())
    files = base_files()
    files["links"] = LINKS.split("\n")[0] + "\n"
    rows, issues = rows_of({"links": files["links"],
                            "interfaces": "device,name\ncore1,ge-0/0/1\n"})
    plan = plan_import(rows, store, prune=True, issues=issues)
    # a header-only links file: no rows, no pruning of links, so the interface stays used
    assert not plan.ok
    rows, issues = rows_of({"interfaces": "device,name\ncore1,ge-0/0/1\n"})
    assert not plan_import(rows, store, prune=True, issues=issues).ok


def test_ifindex_learnt_from_snmp_is_kept() -> None:
    store = snapshot_of(base_files())
    key = ("core1", "ge-0/0/1")
    store["interfaces"][key] = {**store["interfaces"][key], "ifindex": "7"}
    rows, issues = rows_of(base_files())
    plan = plan_import(rows, store, issues=issues)
    assert plan.ok and not plan.diff["interfaces"]


def test_sectors_must_be_numbered_from_one() -> None:
    sites = "code,name,kind,latitude,longitude\nB1,Trạm,bts,10,105\n"
    bts = ("site,operator,sector,technology,band_mhz,azimuth_deg,beamwidth_deg,height_m\n"
           "B1,Viettel,1,4G,1800,0,65,30\nB1,Viettel,3,4G,1800,120,65,30\n"
           "B1,Vinaphone,1,4G,,0,65,30\n")
    rows, issues = rows_of({"sites": sites, "bts": bts})
    got = [str(i) for i in plan_import(rows, {}, issues=issues).issues]
    assert "bts.csv:4:5: band_mhz: required for a sector" in got
    assert any("sectors of BTS B1/Viettel must be numbered 1..2 (got [1, 3])" in g for g in got)


def test_yaml_round_trip_keeps_positions(tmp_path: Path) -> None:
    store = snapshot_of(base_files())
    data = {k: [store[k][key] for key in sorted(store[k])] for k in store}
    doc = tmp_path / "inventory.yaml"
    bad_site = "- {code: BAD, name: x, kind: pop, latitude: 91, longitude: 1}"
    text = dump_yaml(data).replace("\nsites:\n", f"\nsites:\n{bad_site}\n")
    doc.write_text(text, encoding="utf-8")
    issues: list[Issue] = []
    rows = read_yaml(doc, issues)
    assert not issues
    plan = plan_import(rows, store, issues=issues)
    (bad,) = plan.issues
    assert bad.reason.startswith("latitude: latitude 91.0 out of range")
    assert bad.line == text.splitlines().index(bad_site) + 1
    assert bad.column == bad_site.index("91") + 1
    assert key_of("sites", store["sites"][("CORE",)]) == ("CORE",)


# --- poller_group (issue 16): a group of cluster.groups, on sites and devices -------------
GROUPED_SITES = ("code,name,kind,latitude,longitude,poller_group\n"
                 "CORE,Lõi,core,10.5,105.1,\nPOP1,PoP Một,pop,10.6,105,west\n")
GROUPED_DEVICES = ("name,site,role,primary_ip4,poller_group\n"
                   "core1,CORE,core,10.0.0.1,\npop1,POP1,router,10.0.0.2,east\n")


@pytest.mark.parametrize(("sites", "devices", "groups", "issues"), [
    (GROUPED_SITES, GROUPED_DEVICES, ["east", "west"], []),
    (GROUPED_SITES, GROUPED_DEVICES, None, []),          # no groups in the settings: not checked
    (GROUPED_SITES, GROUPED_DEVICES, [], []),
    (GROUPED_SITES, GROUPED_DEVICES, ["east"],
     ["sites.csv:3:6: poller_group: unknown poller group 'west' (cluster.groups: east)"]),
    (GROUPED_SITES, GROUPED_DEVICES.replace(",east", ",West"), ["east", "west"],
     ["devices.csv:3:5: poller_group: unknown poller group 'West' (cluster.groups: east, "
      "west)"]),
    (GROUPED_SITES.replace(",west", ",we st"), GROUPED_DEVICES, None,
     ["sites.csv:3:6: poller_group: 'we st' is not a group name (letters, digits, - and _, "
      "at most 64)"]),
])
def test_poller_group_checked(sites: str, devices: str, groups: list[str] | None,
                              issues: list[str]) -> None:
    rows, found = rows_of({"sites": sites, "devices": devices})
    plan = plan_import(rows, {}, issues=found, poller_groups=groups)
    assert [str(i) for i in plan.issues] == issues


def test_poller_group_yaml_position(tmp_path: Path) -> None:
    doc = tmp_path / "inv.yaml"
    doc.write_text("format: provnet-inventory/1\nsites:\n"
                   "- {code: S1, name: A, kind: pop, latitude: 10, longitude: 105,\n"
                   "   poller_group: nowhere}\n", encoding="utf-8")
    found: list[Issue] = []
    rows = read_yaml(doc, found)
    plan = plan_import(rows, {}, issues=found, poller_groups=["east"])
    assert [str(i) for i in plan.issues] == [
        f"{doc}:4:18: poller_group: unknown poller group 'nowhere' (cluster.groups: east)"]


def test_poller_group_in_the_diff() -> None:
    """Moving a site to another group is one changed field; a stored group the settings no
    longer define does not block an import that does not touch it."""
    store = snapshot_of({"sites": GROUPED_SITES, "devices": GROUPED_DEVICES})
    assert store["sites"][("POP1",)]["poller_group"] == "west"
    rows, found = rows_of({"sites": GROUPED_SITES.replace(",west", ",east")})
    plan = plan_import(rows, store, issues=found, poller_groups=["east"])
    assert plan.ok, plan.issues
    old, new = plan.diff["sites"].changed[("POP1",)]
    assert (old["poller_group"], new["poller_group"]) == ("west", "east")
    rows, found = rows_of({"devices": GROUPED_DEVICES})
    assert plan_import(rows, store, issues=found, poller_groups=["east"]).ok

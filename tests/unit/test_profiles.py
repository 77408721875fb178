"""Profiles as data: strict loading, class matching, credentials, the poll plan built on them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import SecretStr

from provnet.config.settings import SnmpProfile
from provnet.inventory.queries import DeviceRecord
from provnet.pollers.groups import load_groups
from provnet.pollers.plan import build_poll_plan
from provnet.pollers.profiles import (
    DEFAULT_GROUPS_DIR,
    IF_ONLY,
    ProfileError,
    load_profiles,
    parse_profiles,
)

GROUPS = load_groups(DEFAULT_GROUPS_DIR)


def doc(**over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "credentials": {"v2": {"version": "2c", "community": "s3cret-community"},
                        "v3": {"version": "3", "user": "u", "auth_key": "${T_AUTH}",
                               "priv_key": "${T_PRIV}", "port": 1161}},
        "classes": {"commune": {"match": {"role": ["commune*"]}, "credentials": "v2",
                                "groups": ["health_host"], "discovery_every_s": 600},
                    "olt": {"match": {"role": ["olt"], "vendor": ["zte"]}, "credentials": "v3",
                            "vendor_groups": {"zte*": ["optics_zte"]}, "budget_s": 9}}}
    base.update(over)
    return base


@pytest.mark.parametrize(("mutate", "message"), [
    (lambda d: d["classes"]["commune"].update(colour="red"), "classes.commune.colour: Extra"),
    (lambda d: d["classes"]["commune"].update(groups=["nope"]), "unknown group 'nope'"),
    (lambda d: d["classes"]["olt"].update(vendor_groups={"zte": ["x"]}), "unknown group 'x'"),
    (lambda d: d["classes"]["commune"].update(credentials="missing"),
     "classes.commune.credentials: unknown credentials 'missing'"),
    (lambda d: d["credentials"]["v2"].pop("community"), "needs 'community'"),
    (lambda d: d["credentials"]["v3"].pop("user"), "needs 'user'"),
    (lambda d: d["credentials"]["v3"].update(auth="SHA999"), "credentials.v3.auth"),
    (lambda d: d["credentials"]["v3"].update(auth="none"), "privacy without authentication"),
    (lambda d: d["credentials"]["v3"].update(port=70000), "credentials.v3.port"),
    (lambda d: d["classes"]["commune"].update(discovery_every_s=0),
     "classes.commune.discovery_every_s"),
    (lambda d: d.pop("classes"), "classes: Field required"),
], ids=["extra-key", "unknown-group", "unknown-vendor-group", "unknown-credentials",
        "v2-no-community", "v3-no-user", "bad-auth", "priv-without-auth", "bad-port",
        "zero-discovery", "no-classes"])
def test_strict_loading_names_the_key(mutate: Any, message: str) -> None:
    d = doc()
    mutate(d)
    with pytest.raises(ProfileError) as info:
        parse_profiles(d, GROUPS, "test.yaml")
    assert message in str(info.value)
    assert str(info.value).startswith("test.yaml: ")


def test_secrets_never_printed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("T_AUTH", "auth-from-env-1")
    monkeypatch.setenv("T_PRIV", "priv-from-env-2")
    p = parse_profiles(doc(), GROUPS)
    text = repr(p) + str(p.file.model_dump()) + p.file.model_dump_json()
    for secret in ("s3cret-community", "auth-from-env-1", "priv-from-env-2"):
        assert secret not in text
    v3 = p.file.credentials["v3"].v3()
    assert v3 is not None and v3.auth_key == "auth-from-env-1" and "auth-from-env" not in repr(v3)


def rec(i: int, role: str, vendor: str = "Huawei", profile: str | None = "site") -> DeviceRecord:
    return DeviceRecord(i, f"dev{i}", role, vendor, "vrp", f"127.0.0.{i}", profile, f"S{i}",
                        "pop", None, None)


def test_plan_resolves_classes_credentials_and_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("T_AUTH", raising=False)
    monkeypatch.setenv("T_PRIV", "priv-from-env-2")
    p = parse_profiles(doc(), GROUPS)
    access = {"site": SnmpProfile(port=2161, timeout_s=0.7, retries=3)}
    devices = [rec(1, "commune_router"), rec(2, "olt", "ZTE"), rec(3, "department"),
               rec(4, "pop", profile="unknown"), rec(5, "pop", profile=None)]
    plan = build_poll_plan(devices, [], access, p)
    by_id = {t.device_id: t for t in plan.targets}
    assert sorted(by_id) == [1, 3]
    t1 = by_id[1]
    assert (t1.community, t1.port, t1.timeout_s, t1.retries, t1.version) == \
        ("s3cret-community", 2161, 0.7, 3, "2c")
    assert plan.profile_for(1).class_name == "commune"
    assert [g.name for g in plan.profile_for(1).groups] == ["health_host"]
    assert plan.profile_for(1).discovery_every_s == 600
    assert plan.profile_for(3) == IF_ONLY  # matches no class: interfaces only
    assert by_id[3].community == "public"  # settings' profile community
    assert any("dev2" in m and "T_AUTH" in m and "priv-from-env" not in m for m in plan.skipped)
    assert any("dev4" in m and "unknown SNMP profile" in m for m in plan.skipped)
    monkeypatch.setenv("T_AUTH", "auth-from-env-1")
    plan = build_poll_plan(devices, [], access, parse_profiles(doc(), GROUPS))
    t2 = next(t for t in plan.targets if t.device_id == 2)
    assert t2.version == "3" and t2.port == 1161 and t2.v3 is not None
    assert [g.name for g in plan.profile_for(2).groups] == ["optics_zte"]
    assert plan.profile_for(2).budget_s == 9


def test_default_file_loads_and_classifies() -> None:
    p = load_profiles()
    assert p.classify("commune", "Huawei", "huawei_vrp") == "commune_router"
    assert p.classify("pop", "Huawei", "") == "pop_router"
    assert p.classify("olt", "ZTE", "") == "olt"
    assert p.classify("department", "Cisco", "cisco_ios") == "other"
    names = [g.name for g in p.device_profile("commune_router", "Cisco").groups]
    assert names == ["health_cisco", "optics_cisco"]


def test_file_errors(tmp_path: Path) -> None:
    bad = tmp_path / "p.yaml"
    bad.write_text("classes: [1, 2\n", encoding="utf-8")
    with pytest.raises(ProfileError, match="cannot read profiles"):
        load_profiles(bad)
    bad.write_text(yaml.safe_dump(["x"]), encoding="utf-8")
    with pytest.raises(ProfileError, match="top level must be a mapping"):
        load_profiles(bad)


def test_settings_profile_wins_over_file_credentials_of_the_same_name(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("T_AUTH", "auth-from-env-1")
    monkeypatch.setenv("T_PRIV", "priv-from-env-2")
    d = doc()
    d["classes"] = {"any": {"match": {}}}  # no class credentials
    p = parse_profiles(d, GROUPS)
    devices = [rec(1, "pop", profile="v2"), rec(2, "pop", profile="v3")]
    access = {"v2": SnmpProfile(community=SecretStr("from-settings"), port=3161)}
    plan = build_poll_plan(devices, [], access, p)
    by_id = {t.device_id: t for t in plan.targets}
    assert by_id[1].community == "from-settings" and by_id[1].port == 3161
    assert by_id[2].version == "3" and by_id[2].port == 1161  # file credentials by name

"""Pure SSH helpers: credential resolution, target building, names, diffs, platform errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from provnet.config.settings import SshCredential, SshSettings
from provnet.inventory.configs import SshAccess, diff_counts, unified_diff
from provnet.inventory.queries import DeviceRecord
from provnet.pollers.ssh.errors import PlatformError
from provnet.pollers.ssh.parse import full_ifname, to_float
from provnet.pollers.ssh.plan import build_ssh_plan
from provnet.pollers.ssh.platforms import load_platform

CFG = SshSettings(
    credentials={"noc": SshCredential(username="noc", password=SecretStr("n")),
                 "pop": SshCredential(username="popadm", password=SecretStr("p")),
                 "vrp": SshCredential(username="vrp", password=SecretStr("v"))},
    credential_by_role={"pop": "pop"}, credential_by_platform={"huawei_vrp": "vrp"},
    default_credential="noc")


def _dev(i: int, role: str, platform: str) -> DeviceRecord:
    return DeviceRecord(i, f"d{i}", role, "v", platform, f"127.0.0.{i}", None, f"S{i}", "pop",
                        None, "883")


@pytest.mark.parametrize(("role", "platform", "profile", "user"), [
    ("pop", "huawei_vrp", None, "popadm"),       # role wins over platform
    ("commune", "huawei_vrp", None, "vrp"),      # platform
    ("department", "cisco_ios", None, "noc"),    # default
    ("pop", "huawei_vrp", "noc", "noc"),         # the device's own profile wins
])
def test_credential_resolution(role: str, platform: str, profile: str | None, user: str) -> None:
    plan = build_ssh_plan([_dev(1, role, platform)], {1: SshAccess(1, profile, None, None)},
                          CFG, ["huawei_vrp", "cisco_ios"])
    assert [t.login.username for t in plan.targets] == [user]
    assert plan.targets[0].port == 22 and plan.targets[0].host == "127.0.0.1"
    assert plan.tags[1] == {"device": "d1", "site": "S1", "role": role, "district": "883"}


def test_devices_without_access_or_platform_or_credential() -> None:
    devs = [_dev(1, "pop", "huawei_vrp"), _dev(2, "pop", "juniper_junos"),
            _dev(3, "pop", "cisco_ios"), _dev(4, "pop", "cisco_ios")]
    access = {2: SshAccess(2, None, None, None), 3: SshAccess(3, "nobody", "10.0.0.3", 2222),
              4: SshAccess(4, None, "127.0.0.9", 2200)}
    plan = build_ssh_plan(devs, access, CFG, ["huawei_vrp", "cisco_ios"])
    assert [(t.name, t.host, t.port) for t in plan.targets] == [("d4", "127.0.0.9", 2200)]
    assert plan.skipped == ["d2: no SSH platform 'juniper_junos'", "d3: no SSH credential 'nobody'"]


def test_secrets_are_not_in_reprs() -> None:
    plan = build_ssh_plan([_dev(1, "pop", "huawei_vrp")], {1: SshAccess(1, None, None, None)},
                          CFG, ["huawei_vrp"])
    assert "'p'" not in repr(plan.targets[0]) and "***" in repr(CFG.credentials["pop"])


@pytest.mark.parametrize(("name", "full"), [
    ("Gi0/0/1", "GigabitEthernet0/0/1"), ("Te0/0/24", "TenGigabitEthernet0/0/24"),
    ("GigabitEthernet0/0/1", "GigabitEthernet0/0/1"), ("Giga", "Giga"), ("Vlan10", "Vlan10"),
])
def test_full_ifname(name: str, full: str) -> None:
    aliases = {"Gi": "GigabitEthernet", "Te": "TenGigabitEthernet"}
    assert full_ifname(name, aliases) == full


@pytest.mark.parametrize(("text", "value"), [
    ("-8.35", -8.35), ("--", None), ("N/A", None), ("-inf", None), ("", None), ("0.00", 0.0)])
def test_to_float(text: str, value: float | None) -> None:
    assert to_float(text) == value


def test_diff_and_counts() -> None:
    old, new = "a\nb\nc\n", "a\nB\nc\nd\n"
    assert diff_counts(old, new) == (2, 1)
    d = unified_diff(old, new, "v1", "v2")
    assert d.startswith("--- v1\n+++ v2\n") and "-b\n+B\n" in d and "+d\n" in d
    assert unified_diff(old, old, "v1", "v2") == ""


@pytest.mark.parametrize(("body", "error"), [
    ("name: x\nnetmiko_device_type: huawei\ncommands: {}\n", "must match the file name"),
    ("name: p\nnetmiko_device_type: huawei\ncommands: {}\nscrub_secrets: [{pattern: '('}]\n",
     "bad regular expression"),
    ("name: p\nnetmiko_device_type: huawei\ncommands: {backup: x}\n", "commands.backup"),
    ("name: p\nnetmiko_device_type: huawei\ncommands: {}\ncolour: red\n", "colour"),
])
def test_bad_platform_files(tmp_path: Path, body: str, error: str) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(body)
    with pytest.raises(PlatformError, match=error):
        load_platform(path)

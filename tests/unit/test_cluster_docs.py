"""The ``cluster:`` and node examples of docs/deploy.md are valid settings (they cannot rot)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from provnet.config.cluster import AgentSettings, ClusterSettings, load_agent_settings
from provnet.config.errors import ConfigError
from tests.support.helpers import readme_yaml


def test_deploy_example_is_valid(tmp_path: Path) -> None:
    raw = yaml.safe_load(readme_yaml("Cluster settings", tmp_path / "c.yaml").read_text())
    cfg = ClusterSettings.model_validate(raw["cluster"])
    assert cfg.enabled and cfg.replicas == 3
    assert [g.nodes for g in cfg.groups] == [["pop-891a", "pop-891b"], ["pop-886"]]
    assert cfg.leaf_tls is not None and cfg.leaf_tls.verify


def test_deploy_yaml_examples_are_valid() -> None:
    """Every YAML block of docs/deploy.md loads as the settings it shows (centre, node)."""
    doc = (Path(__file__).parents[2] / "docs" / "deploy.md").read_text(encoding="utf-8")
    blocks = [yaml.safe_load(b) for b in re.findall(r"^```yaml\n(.*?)^```", doc, re.S | re.M)]
    assert len(blocks) >= 3
    for raw in blocks:
        if "node" in raw:
            AgentSettings.model_validate(raw)
        else:
            ClusterSettings.model_validate(raw["cluster"])


def test_node_example_is_valid(tmp_path: Path) -> None:
    cfg = load_agent_settings(readme_yaml("Node settings", tmp_path / "n.yaml"))
    assert cfg.node == "pop-891a" and cfg.icmp.enabled and cfg.icmp.interval_s == 30
    assert cfg.traps.enabled and cfg.traps.port == 1162
    assert cfg.traps.v3_users[0].device == "ag-pop-891"


def test_node_sections_are_strict_and_traps_off_by_default(tmp_path: Path) -> None:
    path = tmp_path / "a.yaml"
    path.write_text("node: pop1\n", encoding="utf-8")
    cfg = load_agent_settings(path)
    assert cfg.icmp.enabled and not cfg.traps.enabled
    for bad in ("node: pop1\nicmp: {intervall_s: 3}\n", "node: pop1\ntraps: {port: 70000}\n"):
        path.write_text(bad, encoding="utf-8")
        with pytest.raises(ConfigError, match=str(path)):
            load_agent_settings(path)

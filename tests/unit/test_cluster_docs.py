"""The ``cluster:`` example of docs/deploy.md is valid settings (it cannot rot)."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from provnet.config.cluster import AgentSettings, ClusterSettings
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

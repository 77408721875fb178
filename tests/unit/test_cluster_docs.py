"""The ``cluster:`` example of docs/deploy.md is valid settings (it cannot rot)."""

from __future__ import annotations

from pathlib import Path

import yaml

from provnet.config.cluster import ClusterSettings
from tests.support.helpers import readme_yaml


def test_deploy_example_is_valid(tmp_path: Path) -> None:
    raw = yaml.safe_load(readme_yaml("Cluster settings", tmp_path / "c.yaml").read_text())
    cfg = ClusterSettings.model_validate(raw["cluster"])
    assert cfg.enabled and cfg.replicas == 3
    assert [g.nodes for g in cfg.groups] == [["pop-891a", "pop-891b"], ["pop-886"]]

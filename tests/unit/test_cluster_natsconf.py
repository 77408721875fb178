"""nats-server configuration from the settings (pure): the leafnode TLS blocks of the hub
(client certificates required unless ``verify: false``) and of a leaf (``tls://`` remotes)."""

from __future__ import annotations

from pathlib import Path

import pytest

from provnet.config.cluster import AgentSettings, ClusterSettings, LeafTls
from provnet.pollers.cluster.natsconf import Tls, hub_conf, leaf_conf

FILES = {"cert_file": "/etc/nats/a.pem", "key_file": "/etc/nats/a.key",
         "ca_file": "/etc/nats/ca.pem"}


def test_no_tls() -> None:
    assert Tls.of(ClusterSettings().leaf_tls) is None
    hub = hub_conf("hub1", "/var/lib/nats", "127.0.0.1:4222", "0.0.0.0:7422")
    assert "tls" not in hub
    assert '"nats-leaf://h1:7422"' in leaf_conf("n1", "/s", "127.0.0.1:4222", ["h1:7422"])


@pytest.mark.parametrize(("verify", "line"), [
    (True, '  tls { cert_file: "/etc/nats/a.pem", key_file: "/etc/nats/a.key", '
           'ca_file: "/etc/nats/ca.pem", verify: true, timeout: 2 }'),
    (False, '  tls { cert_file: "/etc/nats/a.pem", key_file: "/etc/nats/a.key", '
            'ca_file: "/etc/nats/ca.pem", timeout: 2 }'),
])
def test_hub_listener(verify: bool, line: str) -> None:
    cfg = ClusterSettings.model_validate({"leaf_tls": {**FILES, "verify": verify}})
    text = hub_conf("hub1", "/var/lib/nats", "127.0.0.1:4222", "0.0.0.0:7422",
                    tls=Tls.of(cfg.leaf_tls))
    assert line in text.splitlines()


def test_leaf_remote() -> None:
    agent = AgentSettings.model_validate({"node": "pop17", "leaf_tls": {
        **FILES, "timeout_s": 5}})
    assert agent.leaf_tls is not None and agent.leaf_tls.ca_file == Path("/etc/nats/ca.pem")
    text = leaf_conf("pop17", "/var/lib/nats/pop17", "127.0.0.1:4222",
                     ["hub1.centre:7422", "hub2.centre:7422"], tls=Tls.of(agent.leaf_tls))
    assert ('  remotes: [ { urls: ["tls://hub1.centre:7422", "tls://hub2.centre:7422"], '
            'tls { cert_file: "/etc/nats/a.pem", key_file: "/etc/nats/a.key", '
            'ca_file: "/etc/nats/ca.pem", timeout: 5 } } ]') in text.splitlines()


def test_strict() -> None:
    with pytest.raises(ValueError, match="verfy"):
        LeafTls.model_validate({**FILES, "verfy": True})
    with pytest.raises(ValueError, match="ca_file"):
        LeafTls.model_validate({"cert_file": "a", "key_file": "b"})


def test_deploy_doc_shows_what_natsconf_renders() -> None:
    """docs/deploy.md's hub and leaf files are exactly the rendered ones (they cannot rot)."""
    doc = (Path(__file__).parents[2] / "docs" / "deploy.md").read_text(encoding="utf-8")
    hub = ClusterSettings.model_validate({"leaf_tls": {
        "cert_file": "/etc/nats/hub1.pem", "key_file": "/etc/nats/hub1.key",
        "ca_file": "/etc/nats/ca.pem"}})
    node = AgentSettings.model_validate({"node": "pop17", "leaf_tls": {
        "cert_file": "/etc/nats/pop17.pem", "key_file": "/etc/nats/pop17.key",
        "ca_file": "/etc/nats/ca.pem"}})
    hub_text = hub_conf("hub1", "/var/lib/nats/hub1", "127.0.0.1:4222", "0.0.0.0:7422",
                        "10.0.0.1:6222", ["10.0.0.2:6222", "10.0.0.3:6222"],
                        tls=Tls.of(hub.leaf_tls))
    leaf_text = leaf_conf("pop17", "/var/lib/nats/pop17", "127.0.0.1:4222",
                          ["hub1.centre:7422", "hub2.centre:7422", "hub3.centre:7422"],
                          tls=Tls.of(node.leaf_tls))
    assert f"```\n{hub_text}```" in doc
    assert f"```\n{leaf_text}```" in doc

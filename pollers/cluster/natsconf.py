"""``nats-server`` configuration files of the hub (centre) and of a leaf (poller node) (pure).

The same text is used by the tests, the bench and ``docs/deploy.md``: a hub server in JetStream
domain ``hub`` (one of three in a cluster at the centre), a leaf server in its own domain (the
node id) with a file store synced on every write (``sync_interval: always``: the leaf is a
single node, Jepsen found the default 2-minute sync loses acknowledged writes on power loss)
and leafnode remotes listing every hub server.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from provnet.config.cluster import LeafTls

#: JetStream domain of the centre
HUB_DOMAIN = "hub"
#: largest message (a batch of ~1000 devices with 4 interfaces is ~0.8 MB of JSON)
MAX_PAYLOAD = "8MB"


def _q(value: str) -> str:
    return json.dumps(value)  # a quoted string nats-server's parser accepts


@dataclass(frozen=True, slots=True)
class Tls:
    """TLS files of a leafnode connection (PEM paths); ``verify`` (hub side): require a
    client certificate of the CA."""

    cert: str
    key: str
    ca: str
    verify: bool = True
    timeout_s: float = 2.0

    @classmethod
    def of(cls, settings: LeafTls | None) -> Tls | None:
        """From the ``leaf_tls`` settings (``cluster.leaf_tls`` or the agent's)."""
        if settings is None:
            return None
        return cls(str(settings.cert_file), str(settings.key_file), str(settings.ca_file),
                   settings.verify, settings.timeout_s)

    def block(self, hub: bool) -> str:
        """The ``tls { }`` block: of the hub's leafnode listener (``verify`` from the
        settings) or of a leaf's remote (the hub's certificate is always checked)."""
        extra = ", verify: true" if hub and self.verify else ""
        return (f"tls {{ cert_file: {_q(self.cert)}, key_file: {_q(self.key)}, "
                f"ca_file: {_q(self.ca)}{extra}, timeout: {self.timeout_s:g} }}")


def hub_conf(name: str, store_dir: str, client: str, leaf_listen: str,
             cluster_listen: str | None = None, routes: Sequence[str] = (),
             sync: str = "always", tls: Tls | None = None, max_store: str | None = None) -> str:
    """One hub server. ``client``/``leaf_listen``/``cluster_listen`` are ``host:port``;
    ``routes`` the other hub servers' cluster addresses (empty: a single hub)."""
    lines = [
        f"server_name: {_q(name)}",
        f"listen: {_q(client)}",
        f"max_payload: {MAX_PAYLOAD}",
        "jetstream {",
        f"  store_dir: {_q(store_dir)}",
        f"  domain: {HUB_DOMAIN}",
        f"  sync_interval: {sync}",
    ]
    if max_store:
        lines.append(f"  max_file_store: {max_store}")
    lines += ["}", "leafnodes {", f"  listen: {_q(leaf_listen)}", "  no_advertise: true"]
    if tls is not None:
        lines.append("  " + tls.block(hub=True))
    lines.append("}")
    if cluster_listen is not None:
        lines += ["cluster {", f"  name: {HUB_DOMAIN}", f"  listen: {_q(cluster_listen)}",
                  "  routes: [" + ", ".join(_q(f"nats-route://{r}") for r in routes) + "]",
                  "}"]
    return "\n".join(lines) + "\n"


def leaf_conf(node: str, store_dir: str, client: str, hubs: Sequence[str],
              sync: str = "always", tls: Tls | None = None,
              max_store: str | None = None) -> str:
    """The leaf server of poller node ``node`` (JetStream domain = the node id); ``hubs`` the
    hub servers' leafnode addresses ``host:port`` (the leaf reconnects to any of them)."""
    scheme = "tls" if tls is not None else "nats-leaf"
    urls = ", ".join(_q(f"{scheme}://{h}") for h in hubs)
    lines = [
        f"server_name: {_q(node)}",
        f"listen: {_q(client)}",
        f"max_payload: {MAX_PAYLOAD}",
        "jetstream {",
        f"  store_dir: {_q(store_dir)}",
        f"  domain: {node}",
        f"  sync_interval: {sync}",
    ]
    if max_store:
        lines.append(f"  max_file_store: {max_store}")
    remote = f"  remotes: [ {{ urls: [{urls}]"
    if tls is not None:
        remote += ", " + tls.block(hub=False)
    lines += ["}", "leafnodes {", remote + " } ]", "  reconnect: 1s", "}"]
    return "\n".join(lines) + "\n"

"""Host keys: a known-hosts file (OpenSSH format) shared by every SSH session of provnet.

``strict``: a device must already be in the file. ``pin_first_use``: an unknown device's key
is written to the file on first contact, with a log line; from then on it must not change.
A changed key is always an error (``HostKeyError``), never silently re-pinned.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import os
import threading
from pathlib import Path

import paramiko

log = logging.getLogger(__name__)


def fingerprint(key: paramiko.PKey) -> str:
    """OpenSSH-style ``SHA256:...`` fingerprint of a public key."""
    digest = hashlib.sha256(key.asbytes()).digest()
    return "SHA256:" + base64.b64encode(digest).decode().rstrip("=")


class KnownHosts:
    """The known-hosts file and a lock, so worker threads pin one key at a time."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def _load(self) -> paramiko.HostKeys:
        keys = paramiko.HostKeys()
        if self.path.is_file():
            keys.load(str(self.path))
        return keys

    def pin(self, hostname: str, key: paramiko.PKey) -> None:
        """Record ``key`` for ``hostname`` unless the file already holds another key for it."""
        with self._lock:
            keys = self._load()
            known = keys.lookup(hostname)
            if known is not None and key.get_name() in known:
                if known[key.get_name()] != key:
                    raise paramiko.BadHostKeyException(hostname, key, known[key.get_name()])
                return
            keys.add(hostname, key.get_name(), key)
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            keys.save(str(self.path))
            os.chmod(self.path, 0o600)  # who may connect where: private
        log.warning("SSH host key of %s pinned on first use: %s %s (file %s)",
                    hostname, key.get_name(), fingerprint(key), self.path)


class PinFirstUsePolicy(paramiko.MissingHostKeyPolicy):
    """Accept and pin a host key never seen before; known hosts are checked by paramiko."""

    def __init__(self, store: KnownHosts) -> None:
        self.store = store

    def missing_host_key(self, client: paramiko.SSHClient, hostname: str,
                         key: paramiko.PKey) -> None:
        """Pin the key and let the connection proceed."""
        self.store.pin(hostname, key)
        client.get_host_keys().add(hostname, key.get_name(), key)


def policy_for(mode: str, store: KnownHosts) -> paramiko.MissingHostKeyPolicy:
    """The paramiko policy for an unknown host under ``mode`` (``strict``/``pin_first_use``)."""
    return PinFirstUsePolicy(store) if mode == "pin_first_use" else paramiko.RejectPolicy()

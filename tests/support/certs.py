"""Certificates for the leafnode TLS tests, made with ``openssl`` by the commands
docs/deploy.md gives (one private CA; a hub certificate with the name the leaves dial; a node
certificate for client authentication)."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path


def _openssl(*args: str) -> None:
    done = subprocess.run(["openssl", *args], capture_output=True, text=True, timeout=120,
                          check=False)
    assert done.returncode == 0, f"openssl {' '.join(args)}: {done.stderr}"


@dataclass(frozen=True)
class Ca:
    """A private CA (PEM certificate and key)."""

    pem: Path
    key: Path

    @classmethod
    def make(cls, directory: Path, name: str, bits: int = 2048) -> Ca:
        """``openssl req -x509 -newkey rsa:N -nodes -days 3650 -subj /CN=...``."""
        directory.mkdir(parents=True, exist_ok=True)
        pem, key = directory / f"{name}.pem", directory / f"{name}.key"
        _openssl("req", "-x509", "-newkey", f"rsa:{bits}", "-nodes", "-days", "3650",
                 "-subj", f"/CN={name}", "-keyout", str(key), "-out", str(pem))
        key.chmod(0o600)
        return cls(pem, key)

    def issue(self, directory: Path, name: str, ext: str, bits: int = 2048
              ) -> tuple[Path, Path]:
        """A certificate of this CA: ``openssl req -newkey`` then ``openssl x509 -req -CA``
        with the extension lines ``ext`` (subjectAltName, extendedKeyUsage); (pem, key)."""
        pem, key = directory / f"{name}.pem", directory / f"{name}.key"
        csr, extfile = directory / f"{name}.csr", directory / f"{name}.ext"
        extfile.write_text(ext + "\n", encoding="utf-8")
        _openssl("req", "-newkey", f"rsa:{bits}", "-nodes", "-subj", f"/CN={name}",
                 "-keyout", str(key), "-out", str(csr))
        _openssl("x509", "-req", "-in", str(csr), "-CA", str(self.pem), "-CAkey",
                 str(self.key), "-CAcreateserial", "-days", "825", "-extfile", str(extfile),
                 "-out", str(pem))
        key.chmod(0o600)
        return pem, key

"""Small helpers shared by tests (importable: ``from tests.support.helpers import free_port``)."""

from __future__ import annotations

import re
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from provnet.simproc import stop_child

if TYPE_CHECKING:
    from provnet.tsdb.client import InfluxQLReader, V1Writer
    from provnet.tsdb.managed import ManagedInfluxd


README = Path(__file__).parents[2] / "README.md"


def readme_yaml(section: str, dest: Path) -> Path:
    """Write the first YAML block of the README section titled ``section`` to ``dest``."""
    text = README.read_text(encoding="utf-8")
    match = re.search(r"```yaml\n(.*?)```", text[text.index(f"## {section}"):], re.S)
    assert match is not None, f"no YAML example in README section {section!r}"
    dest.write_text(match.group(1), encoding="utf-8")
    return dest


def free_port(host: str = "127.0.0.1", kind: int = socket.SOCK_STREAM) -> int:
    """A port that is free right now on ``host`` (TCP by default; ``socket.SOCK_DGRAM``
    for UDP). Another process may take it before you bind it: bind promptly."""
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def stop_process(proc: subprocess.Popen[bytes], timeout_s: float = 5.0) -> None:
    """Stop a process the test started, by its PID: SIGTERM, then SIGKILL if it lingers."""
    stop_child(proc, timeout_s)


@dataclass(frozen=True)
class InfluxdHandle:
    """What the ``influxd`` fixtures yield: a running server and one database on it."""

    url: str
    database: str
    server: ManagedInfluxd

    def reader(self) -> InfluxQLReader:
        """An InfluxQL reader on this database (close it, or use it as a context manager)."""
        from provnet.tsdb.client import InfluxQLReader

        return InfluxQLReader(self.url, self.database)

    def v1_writer(self, batch_size: int = 5000) -> V1Writer:
        """A ``/write`` writer on this database."""
        from provnet.tsdb.client import V1Writer

        return V1Writer(self.url, self.database, batch_size=batch_size)

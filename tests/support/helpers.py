"""Small helpers shared by tests (importable: ``from tests.support.helpers import free_port``)."""

from __future__ import annotations

import re
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from provnet.simproc import stop_child
from provnet.tsdb import ports

if TYPE_CHECKING:
    from provnet.tsdb.client import InfluxQLReader, V1Writer
    from provnet.tsdb.managed import ManagedInfluxd


ROOT = Path(__file__).parents[2]


def _headings(text: str) -> list[tuple[int, str, int, int]]:
    """``(level, title, start, end)`` of each Markdown heading line outside code blocks."""
    out: list[tuple[int, str, int, int]] = []
    fenced, offset = False, 0
    for line in text.splitlines(keepends=True):
        start, offset = offset, offset + len(line)
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced and (m := re.match(r"(#+) (.*?)[ \t]*$", line)):
            out.append((len(m.group(1)), m.group(2), start, offset))
    return out


def readme_yaml(section: str, dest: Path) -> Path:
    """Write the first YAML block of the documentation section titled ``section`` to ``dest``.

    The section is the one Markdown heading (any level) with exactly that title in
    ``README.md`` or ``docs/*.md``; its YAML block must come before the next heading of the
    same or a higher level.
    """
    found: list[tuple[Path, str]] = []
    for path in [ROOT / "README.md", *sorted(ROOT.glob("docs/*.md"))]:
        text = path.read_text(encoding="utf-8")
        heads = _headings(text)
        for i, (level, title, _, end) in enumerate(heads):
            if title == section:
                after = [h for h in heads[i + 1:] if h[0] <= level]
                found.append((path.relative_to(ROOT), text[end: after[0][2] if after else None]))
    where = [str(path) for path, _ in found]
    assert len(found) == 1, f"want one heading {section!r} in README.md and docs/*.md: {where}"
    match = re.search(r"^```yaml\n(.*?)^```", found[0][1], re.S | re.M)
    assert match is not None, f"no YAML example in section {section!r} of {where[0]}"
    dest.write_text(match.group(1), encoding="utf-8")
    return dest


def free_port(host: str = "127.0.0.1", kind: int = socket.SOCK_STREAM) -> int:
    """A port that is free right now on ``host`` (TCP by default; ``socket.SOCK_DGRAM``
    for UDP), below the kernel's ephemeral range so no outgoing connection takes it before
    the process it is for binds it (see :mod:`provnet.tsdb.ports`)."""
    return ports.free_port(host, kind)


def stop_process(proc: subprocess.Popen[bytes], timeout_s: float = 5.0) -> None:
    """Stop a process the test started, by its PID: SIGTERM, then SIGKILL if it lingers."""
    stop_child(proc, timeout_s)


def kill_process(proc: subprocess.Popen[bytes] | None) -> None:
    """SIGKILL a process the test started (a crash), by its PID, and reap it."""
    if proc is not None and proc.poll() is None:
        proc.kill()
        proc.wait(10)


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

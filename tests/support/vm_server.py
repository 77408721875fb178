"""A real ``victoria-metrics`` (Debian package) for tests and benches: started on 127.0.0.1 on a
port from ``free_port``, its data in a temporary directory, stopped by PID."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from provnet.tsdb.managed_vm import ManagedVictoria
from tests.support.helpers import free_port


def have_victoria() -> bool:
    """True when the ``victoria-metrics`` binary is installed."""
    return shutil.which("victoria-metrics") is not None


@contextmanager
def victoria(data_dir: Path, retention: str = "100y") -> Iterator[ManagedVictoria]:
    """A running server for the block (retention: 100 years, so backfills in the past stay)."""
    server = ManagedVictoria(data_dir, retention=retention, http_port=free_port())
    server.start()
    try:
        yield server
    finally:
        server.stop()

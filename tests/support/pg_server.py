"""A private PostgreSQL server for tests: initdb in a temp dir, 127.0.0.1, a free port."""

from __future__ import annotations

import glob
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from provnet.inventory.store import Store, open_store
from tests.support.helpers import free_port

#: The backends a store fixture is parametrised over.
BACKENDS = ["sqlite", "postgresql"]


def _pg_bin(name: str) -> str | None:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found[-1] if found else shutil.which(name)


def _as_postgres(cmd: list[str]) -> list[str]:
    # PostgreSQL refuses to run as root: drop to the packaged 'postgres' user
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


@contextmanager
def postgres_server() -> Iterator[str]:
    """Yield a SQLAlchemy URL of an empty database ``provnet`` on a fresh server."""
    initdb, postgres = _pg_bin("initdb"), _pg_bin("postgres")
    if not initdb or not postgres:
        raise FileNotFoundError("PostgreSQL server binaries not found (apt-get install postgresql)")
    data = tempfile.mkdtemp(prefix="provnet-pg-")
    if os.geteuid() == 0:
        shutil.chown(data, "postgres", "postgres")
    subprocess.run(_as_postgres([initdb, "-D", data, "-A", "trust", "-U", "provnet",
                                 "-E", "UTF8", "--locale", "C.UTF-8"]),
                   check=True, capture_output=True)
    port = free_port()
    proc = subprocess.Popen(
        _as_postgres([postgres, "-D", data, "-p", str(port), "-k", data,
                      "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"]),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        import psycopg

        deadline = time.monotonic() + 30
        while True:
            try:
                with psycopg.connect(f"host=127.0.0.1 port={port} user=provnet dbname=postgres",
                                     autocommit=True) as conn:
                    conn.execute("CREATE DATABASE provnet")
                break
            except psycopg.OperationalError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.2)
        yield f"postgresql+psycopg://provnet@127.0.0.1:{port}/provnet"
    finally:
        # runuser does not pass SIGINT on: signal the postmaster we started, by its PID
        pid_file = os.path.join(data, "postmaster.pid")
        if os.path.exists(pid_file):
            with open(pid_file) as fh:
                os.kill(int(fh.readline()), signal.SIGINT)  # fast shutdown
        else:
            proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        shutil.rmtree(data, ignore_errors=True)


@contextmanager
def postgres_or_skip() -> Iterator[str]:
    """:func:`postgres_server`, or skip the test when PostgreSQL is not installed."""
    try:
        ctx = postgres_server()
        url = ctx.__enter__()
    except (FileNotFoundError, ImportError) as exc:
        pytest.skip(f"PostgreSQL not available: {exc}")
    try:
        yield url
    finally:
        ctx.__exit__(None, None, None)


@contextmanager
def backend_store(backend: str, tmp_dir: Path) -> Iterator[Store]:
    """A migrated, empty store: a SQLite file in ``tmp_dir`` or a private PostgreSQL server."""
    if backend == "sqlite":
        st = open_store(f"sqlite:///{tmp_dir / 'inventory.sqlite'}")
        try:
            yield st
        finally:
            st.close()
        return
    with postgres_or_skip() as url:
        st = open_store(url)
        try:
            yield st
        finally:
            st.close()

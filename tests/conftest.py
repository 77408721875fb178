"""Shared fixtures. ``influxd``: one real InfluxDB 1.x server for the whole session.

Usage::

    @pytest.mark.integration
    def test_something(influxd):            # session server, database "provnet_test"
        with influxd.v1_writer() as w, influxd.reader() as r: ...

    def test_isolated(influx_database):     # same server, a fresh database per test
        ...

Use measurement names of your own in ``provnet_test``: other tests share it.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from provnet.tsdb import ports
from tests.support.helpers import InfluxdHandle

INFLUX_TEST_DATABASE = "provnet_test"
_db_counter = itertools.count(1)


def _own_port_slice() -> None:
    """Under pytest-xdist, each worker and every process it starts choose listening ports
    from a slice of the range of their own, so two workers never pick the same one."""
    worker, count = os.environ.get("PYTEST_XDIST_WORKER", ""), os.environ.get(
        "PYTEST_XDIST_WORKER_COUNT", "")
    if not (worker.startswith("gw") and worker[2:].isdigit() and count.isdigit()):
        return
    low, high = ports.port_range()
    size = (high - low) // max(int(count), 1)
    start = low + int(worker[2:]) * size
    os.environ[ports.RANGE_ENV] = f"{start}-{start + size}"


_own_port_slice()


def _processes_mentioning(text: str) -> dict[int, str]:
    """PIDs (not ours) whose command line contains ``text``, with that command line."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if text in cmd:
            found[int(entry.name)] = cmd.strip()
    return found


@pytest.fixture(scope="session", autouse=True)
def no_leftover_processes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Every process a test starts works under the session's temp dir; none may outlive it."""
    yield
    base = str(tmp_path_factory.getbasetemp())
    left = _processes_mentioning(base)
    for pid in left:  # leave a clean machine, then fail loudly
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    assert not left, "processes left running by the tests:\n" + "\n".join(
        f"{pid}: {cmd[:200]}" for pid, cmd in left.items())


@pytest.fixture(scope="session")
def influxd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InfluxdHandle]:
    """A managed influxd (127.0.0.1, free port) with database ``provnet_test``."""
    if shutil.which("influxd") is None:
        pytest.skip("influxd is not installed (apt-get install influxdb)")
    from provnet.tsdb.client import InfluxQLReader
    from provnet.tsdb.managed import ManagedInfluxd

    server = ManagedInfluxd(tmp_path_factory.mktemp("influxd")).start()
    try:
        with InfluxQLReader(server.url, "") as reader:
            reader.create_database(INFLUX_TEST_DATABASE)
        yield InfluxdHandle(url=server.url, database=INFLUX_TEST_DATABASE, server=server)
    finally:
        server.stop()


@pytest.fixture
def influx_database(influxd: InfluxdHandle) -> Iterator[InfluxdHandle]:
    """The session influxd with a fresh, empty database for this test (dropped after)."""
    from provnet.tsdb.client import InfluxQLReader

    name = f"provnet_test_{next(_db_counter)}"
    with InfluxQLReader(influxd.url, "") as reader:
        reader.create_database(name)
        try:
            yield InfluxdHandle(url=influxd.url, database=name, server=influxd.server)
        finally:
            reader.drop_database(name)

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

import itertools
import shutil
from collections.abc import Iterator

import pytest

from tests.helpers import InfluxdHandle

INFLUX_TEST_DATABASE = "provnet_test"
_db_counter = itertools.count(1)


@pytest.fixture(scope="session")
def influxd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InfluxdHandle]:
    """A managed influxd (127.0.0.1, free port) with database ``provnet_test``."""
    if shutil.which("influxd") is None:
        pytest.skip("influxd is not installed (apt-get install influxdb)")
    from tsdb.client import InfluxQLReader
    from tsdb.managed import ManagedInfluxd

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
    from tsdb.client import InfluxQLReader

    name = f"provnet_test_{next(_db_counter)}"
    with InfluxQLReader(influxd.url, "") as reader:
        reader.create_database(name)
        try:
            yield InfluxdHandle(url=influxd.url, database=name, server=influxd.server)
        finally:
            reader.drop_database(name)

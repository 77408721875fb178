"""Configuration versions on both SQL backends (SQLite and a real PostgreSQL), and the
0004_config migration going down and up."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from alembic import command
from sqlalchemy import inspect

from provnet.inventory.configs import (
    changes_since,
    diff_versions,
    record_config,
    set_ssh_endpoint,
    ssh_access,
    versions,
)
from provnet.inventory.store import Store, alembic_config
from tests.support.pg_server import BACKENDS, backend_store
from tests.support.ssh_store import seed_devices

pytestmark = pytest.mark.integration
T0 = dt.datetime(2026, 11, 21, 1, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="module", params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
          ) -> Iterator[Store]:
    with backend_store(request.param, tmp_path_factory.mktemp("cfg")) as st:
        yield st


def test_versions_changes_and_diff(store: Store) -> None:
    ids = seed_devices(store, ["ag-pop-883", "ag-dept-02"])
    dev = ids["ag-pop-883"]
    texts = ["sysname ag-pop-883\n#\nntp 10.0.0.1\n", "sysname ag-pop-883\n#\nntp 10.0.0.1\n",
             "sysname ag-pop-883\n#\nntp 10.0.0.2\nacl 2001\n"]
    with store.session() as s:
        outs = [record_config(s, dev, t, T0 + dt.timedelta(minutes=10 * i))
                for i, t in enumerate(texts)]
    assert [(o.changed, o.first) for o in outs] == [(True, True), (False, False), (True, False)]
    assert (outs[2].lines_added, outs[2].lines_removed) == (2, 1)
    with store.session() as s:
        vers = versions(s, dev)
        diff = diff_versions(s, dev, vers[1].id, vers[0].id)
        recent = changes_since(s, T0 + dt.timedelta(minutes=15))
        none = changes_since(s, T0 + dt.timedelta(minutes=25))
    assert len(vers) == 2 and vers[1].last_seen_at == T0 + dt.timedelta(minutes=10)
    assert vers[0].fetched_at == T0 + dt.timedelta(minutes=20)
    assert "-ntp 10.0.0.1\n+ntp 10.0.0.2\n+acl 2001\n" in diff
    assert [(c.hostname, c.at) for c in recent] == [("ag-pop-883", T0 + dt.timedelta(minutes=20))]
    assert none == []


def test_ssh_endpoints(store: Store) -> None:
    with store.session() as s:
        from provnet.inventory.model import Device

        dev = s.query(Device).filter_by(hostname="ag-dept-02").one()
        set_ssh_endpoint(s, dev.id, 2222)
        set_ssh_endpoint(s, dev.id, 2223, "127.0.0.5")
    with store.session() as s:
        acc = ssh_access(s)[dev.id]
    assert (acc.host, acc.port) == ("127.0.0.5", 2223)


def test_migration_down_and_up(store: Store) -> None:
    with store.engine.begin() as conn:
        cfg = alembic_config(store.url)
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0003_outbox")
    assert "config_version" not in inspect(store.engine).get_table_names()
    store.migrate()
    assert {"config_version", "config_change", "device_ssh"} <= set(
        inspect(store.engine).get_table_names())

"""The inventory store on both backends: SQLite (default) and a real PostgreSQL server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import inspect, select

from provnet.demo.seed import is_empty, seed_demo
from provnet.inventory import model, queries
from provnet.inventory.store import Store, alembic_config
from tests.support.pg_server import BACKENDS, backend_store

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module", params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
          ) -> Iterator[Store]:
    with backend_store(request.param, tmp_path_factory.mktemp("sq")) as st:
        yield st


def test_seed_and_query(store: Store) -> None:
    assert is_empty(store)
    counts = seed_demo(store)
    assert counts["admin_unit"] == 1 + 11 + 155 + 1 + 102
    assert not is_empty(store)
    with store.session() as s:
        total, rows = queries.communes(s, q="vinh hanh")
        assert total >= 1 and any(r.name == "Xã Vĩnh Hanh" for r in rows)
        total, rows = queries.communes(s, q="Vĩnh Hanh")
        assert [r.name for r in rows] == ["Xã Vĩnh Hanh"]
        assert len(queries.links(s)) == 189
        topo = queries.topology(s)
        dual = [r for r in queries.links(s) if r.circuit_id and r.circuit_id.endswith("-2")]
        assert len(dual) == 6
        assert len(topo.paths_to_core(dual[0].a_device_id)) == 2
        # old-to-new mapping: every legacy commune maps somewhere, 3 of them are split
        maps = s.scalars(select(model.AdminUnitMapping)).all()
        assert len({m.old_unit_id for m in maps}) == 155
        assert len({m.old_unit_id for m in maps if not m.whole}) == 3


def test_new_rows_get_fresh_ids_after_seed(store: Store) -> None:
    # explicit ids in the bulk seed must not leave PostgreSQL sequences behind
    with store.session() as s:
        site = model.Site(code="TEST-NEW", name="Trạm thử nghiệm Núi Sam", name_folded="x",
                          kind="bts", lat=10.68, lon=105.08)
        s.add(site)
        s.flush()
        assert site.id > 7384
    with store.session() as s:
        got = s.scalars(select(model.Site).where(model.Site.code == "TEST-NEW")).one()
        assert got.name == "Trạm thử nghiệm Núi Sam"


def test_migrations_go_down_and_up(store: Store, tmp_path: Path) -> None:
    with store.engine.begin() as conn:
        cfg = alembic_config(store.url)
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "base")
    assert "site" not in inspect(store.engine).get_table_names()
    store.migrate()
    assert {"site", "device", "link", "admin_unit"} <= set(inspect(store.engine).get_table_names())

"""Write the demo province into an empty inventory store."""

from __future__ import annotations

from sqlalchemy import func, insert, select, text

from provnet.demo.network import DemoNetwork, build_demo_network
from provnet.demo.units import load_an_giang
from provnet.inventory import model
from provnet.inventory.store import Store

TABLES = [
    ("admin_unit", model.AdminUnit), ("admin_unit_mapping", model.AdminUnitMapping),
    ("site", model.Site), ("device", model.Device), ("interface", model.Interface),
    ("link", model.Link), ("bts", model.Bts), ("sector", model.Sector),
    ("fibre_point", model.FibrePoint),
]


def is_empty(store: Store) -> bool:
    """True when the inventory holds no site yet."""
    with store.session() as s:
        return (s.scalar(select(func.count()).select_from(model.Site)) or 0) == 0


def seed_demo(store: Store, network: DemoNetwork | None = None) -> dict[str, int]:
    """Insert the demo province in one transaction (all or nothing); return row counts."""
    net = network or build_demo_network(load_an_giang())
    with store.session() as s:
        for name, cls in TABLES:
            rows = net.rows.get(name, [])
            if rows:
                s.execute(insert(cls), rows)
        if s.get_bind().dialect.name == "postgresql":
            # rows carry explicit ids: move each sequence past them
            for name, _ in TABLES:
                s.execute(text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                               f"(SELECT COALESCE(MAX(id), 1) FROM {name}))"))
    return {name: len(net.rows.get(name, [])) for name, _ in TABLES}

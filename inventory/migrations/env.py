"""Alembic environment: runs on a connection handed over by inventory.store, or on the URL."""

from alembic import context
from sqlalchemy import create_engine

from provnet.inventory import auth_model  # noqa: F401  (its tables join the metadata)
from provnet.inventory.model import Base

config = context.config
target_metadata = Base.metadata


def _run(connection: object) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=target_metadata,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as conn:
        _run(conn)
        conn.commit()

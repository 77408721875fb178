"""inventory import/API: ifIndex optional (resolved by name), inventory version, audit trail

Revision ID: 0005_inventory_io
Revises: 0004_config
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_inventory_io"
down_revision: str | None = "0004_config"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        # the batch copy drops and renames ``interface`` (links refer to it); pysqlite runs
        # DDL outside a transaction, where this pragma takes effect
        op.execute("PRAGMA foreign_keys = OFF")
    with op.batch_alter_table("interface", schema=None) as batch_op:
        batch_op.alter_column("ifindex", existing_type=sa.Integer(), nullable=True)
    if sqlite:
        op.execute("PRAGMA foreign_keys = ON")
    op.create_table(
        "inventory_state",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "inventory_change",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("action", sa.String(length=10), nullable=False),
        sa.Column("before", sa.Text(), nullable=True),
        sa.Column("after", sa.Text(), nullable=True),
    )
    op.create_index("ix_inventory_change_at", "inventory_change", ["at"])
    op.create_index("ix_inventory_change_kind", "inventory_change", ["kind"])


def downgrade() -> None:
    op.drop_index("ix_inventory_change_kind", table_name="inventory_change")
    op.drop_index("ix_inventory_change_at", table_name="inventory_change")
    op.drop_table("inventory_change")
    op.drop_table("inventory_state")
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        op.execute("PRAGMA foreign_keys = OFF")  # see upgrade()
    # interfaces SNMP never numbered cannot go back to a mandatory ifIndex
    op.execute("DELETE FROM link WHERE a_interface_id IN (SELECT id FROM interface WHERE "
               "ifindex IS NULL) OR z_interface_id IN (SELECT id FROM interface WHERE "
               "ifindex IS NULL)")
    op.execute("DELETE FROM interface WHERE ifindex IS NULL")
    with op.batch_alter_table("interface", schema=None) as batch_op:
        batch_op.alter_column("ifindex", existing_type=sa.Integer(), nullable=False)
    if sqlite:
        op.execute("PRAGMA foreign_keys = ON")

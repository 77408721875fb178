"""poller_group: which poller node group polls a site's / a device's devices (issue 16)

Revision ID: 0008_poller_group
Revises: 0007_contacts
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_poller_group"
down_revision: str | None = "0007_contacts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("site", sa.Column("poller_group", sa.String(length=64), nullable=True))
    op.add_column("device", sa.Column("poller_group", sa.String(length=64), nullable=True))


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # first, before any DML opens a transaction (0005's downgrade needs foreign keys off
        # outside a transaction; see 0006 and 0007)
        op.execute("PRAGMA foreign_keys = OFF")
    with op.batch_alter_table("device") as batch:
        batch.drop_column("poller_group")
    with op.batch_alter_table("site") as batch:
        batch.drop_column("poller_group")

"""contacts: escalation contacts imported with the inventory (issue 11)

Revision ID: 0007_contacts
Revises: 0006_identity
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_contacts"
down_revision: str | None = "0006_identity"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "contact",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(length=120), nullable=False, unique=True),
        sa.Column("role", sa.String(length=120), nullable=True),
        sa.Column("phone", sa.String(length=40), nullable=True),
        sa.Column("email", sa.String(length=200), nullable=True),
        sa.Column("chat_id", sa.String(length=60), nullable=True),
        sa.Column("language", sa.String(length=2), nullable=False, server_default="vi"),
        sa.Column("districts", sa.String(length=500), nullable=False, server_default=""),
        sa.Column("sites", sa.String(length=2000), nullable=False, server_default=""),
        sa.Column("escalation_level", sa.Integer(), nullable=False, server_default="1"),
        sa.Column("on_call", sa.String(length=11), nullable=True),
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # the first step of a downgrade, before any DML opens a transaction: 0005's
        # downgrade rebuilds ``interface`` with foreign keys off, which SQLite ignores inside
        # a transaction (see 0006); a later migration must keep doing this first
        op.execute("PRAGMA foreign_keys = OFF")
    op.drop_table("contact")

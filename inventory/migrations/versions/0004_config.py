"""configuration backup: device SSH endpoints, config versions, config change events

Revision ID: 0004_config
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_config"
down_revision: str | None = "0003_outbox"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "device_ssh",
        sa.Column("device_id", sa.Integer(), sa.ForeignKey("device.id"), primary_key=True),
        sa.Column("host", sa.String(length=64), nullable=True),
        sa.Column("port", sa.Integer(), nullable=False),
    )
    op.create_table(
        "config_version",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("device_id", sa.Integer(), sa.ForeignKey("device.id"), nullable=False),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("lines", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
    )
    op.create_index("ix_config_version_device_id", "config_version", ["device_id"])
    op.create_index("ix_config_version_fetched_at", "config_version", ["fetched_at"])
    op.create_table(
        "config_change",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("device_id", sa.Integer(), sa.ForeignKey("device.id"), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("from_version_id", sa.Integer(), sa.ForeignKey("config_version.id"),
                  nullable=True),
        sa.Column("to_version_id", sa.Integer(), sa.ForeignKey("config_version.id"),
                  nullable=False),
        sa.Column("lines_added", sa.Integer(), nullable=False),
        sa.Column("lines_removed", sa.Integer(), nullable=False),
    )
    op.create_index("ix_config_change_device_id", "config_change", ["device_id"])
    op.create_index("ix_config_change_at", "config_change", ["at"])


def downgrade() -> None:
    op.drop_index("ix_config_change_at", "config_change")
    op.drop_index("ix_config_change_device_id", "config_change")
    op.drop_table("config_change")
    op.drop_index("ix_config_version_fetched_at", "config_version")
    op.drop_index("ix_config_version_device_id", "config_version")
    op.drop_table("config_version")
    op.drop_table("device_ssh")

"""alerts and incidents

Revision ID: 0002_alerts
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_alerts"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

S, F, Int, B, T, J = sa.String, sa.Float, sa.Integer, sa.Boolean, sa.Text, sa.JSON


def _matchers() -> list[sa.Column]:
    return [sa.Column("site", S(40)), sa.Column("district", S(10)),
            sa.Column("device", S(100)), sa.Column("rule", S(60))]


def upgrade() -> None:
    op.create_table(
        "alert_incident",
        sa.Column("id", Int(), primary_key=True),
        sa.Column("group_key", S(200), nullable=False, index=True),
        sa.Column("title", S(300), nullable=False),
        sa.Column("root_cause", S(300), nullable=False),
        sa.Column("root_site_code", S(40), index=True),
        sa.Column("district", S(10), index=True),
        sa.Column("severity", S(10), nullable=False),
        sa.Column("status", S(15), nullable=False, index=True),
        sa.Column("started_at", F(), nullable=False, index=True),
        sa.Column("resolved_at", F()),
        sa.Column("notified", B(), nullable=False),
        sa.Column("silenced", B(), nullable=False),
        sa.Column("escalations", Int(), nullable=False),
        sa.Column("labels", J(), nullable=False),
        sa.Column("affected", J(), nullable=False),
    )
    op.create_table(
        "alert",
        sa.Column("id", Int(), primary_key=True),
        sa.Column("key", S(200), nullable=False, index=True),
        sa.Column("rule", S(60), nullable=False, index=True),
        sa.Column("entity", S(120), nullable=False),
        sa.Column("severity", S(10), nullable=False),
        sa.Column("state", S(10), nullable=False, index=True),
        sa.Column("flapping", B(), nullable=False),
        sa.Column("suppressed", B(), nullable=False),
        sa.Column("value", F()),
        sa.Column("site", S(40), index=True),
        sa.Column("district", S(10), index=True),
        sa.Column("device", S(100)),
        sa.Column("labels", J(), nullable=False),
        sa.Column("started_at", F(), nullable=False, index=True),
        sa.Column("fired_at", F()),
        sa.Column("resolved_at", F()),
        sa.Column("engine_state", J(), nullable=False),
        sa.Column("incident_id", Int(), sa.ForeignKey("alert_incident.id"), index=True),
    )
    op.create_table(
        "alert_incident_event",
        sa.Column("id", Int(), primary_key=True),
        sa.Column("incident_id", Int(), sa.ForeignKey("alert_incident.id"), nullable=False,
                  index=True),
        sa.Column("time", F(), nullable=False),
        sa.Column("kind", S(30), nullable=False),
        sa.Column("alert_id", Int(), sa.ForeignKey("alert.id")),
        sa.Column("actor", S(100)),
        sa.Column("detail", T(), nullable=False),
    )
    op.create_table(
        "alert_ack",
        sa.Column("id", Int(), primary_key=True),
        sa.Column("incident_id", Int(), sa.ForeignKey("alert_incident.id"), nullable=False,
                  index=True),
        sa.Column("owner", S(100), nullable=False),
        sa.Column("comment", T(), nullable=False),
        sa.Column("created_at", F(), nullable=False),
        sa.Column("expires_at", F()),
    )
    op.create_table(
        "alert_silence",
        sa.Column("id", Int(), primary_key=True),
        *_matchers(),
        sa.Column("starts_at", F(), nullable=False),
        sa.Column("ends_at", F(), nullable=False, index=True),
        sa.Column("created_by", S(100), nullable=False),
        sa.Column("comment", T(), nullable=False),
    )
    op.create_table(
        "alert_maintenance",
        sa.Column("id", Int(), primary_key=True),
        sa.Column("name", S(200), nullable=False),
        *_matchers(),
        sa.Column("rrule", S(300), nullable=False),
        sa.Column("dtstart", S(40), nullable=False),
        sa.Column("duration_s", F(), nullable=False),
        sa.Column("created_by", S(100), nullable=False),
        sa.Column("comment", T(), nullable=False),
    )


def downgrade() -> None:
    for table in ("alert_maintenance", "alert_silence", "alert_ack", "alert_incident_event",
                  "alert", "alert_incident"):
        op.drop_table(table)

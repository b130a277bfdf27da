"""team and audit: accounts can be deactivated, canned replies are shared or personal, an audit log

Revision ID: team_and_audit
Revises: question_resolutions
Create Date: 2026-12-01 18:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "team_and_audit"
down_revision = "question_resolutions"  # follows main (0015 embedding_cache, 0010 question_resolutions)
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("agents") as batch:
        batch.add_column(sa.Column("active", sa.Boolean(), nullable=False, server_default="1"))
        batch.add_column(sa.Column("deactivated_at", sa.DateTime(timezone=True)))
    with op.batch_alter_table("canned_replies") as batch:
        # the replies made so far were shared by the whole team: they stay shared
        batch.add_column(sa.Column("shared", sa.Boolean(), nullable=False, server_default="1"))
        batch.add_column(sa.Column("updated_at", sa.DateTime(timezone=True)))
    op.create_table(
        "audit_log",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.String(36)),
        sa.Column("actor_name", sa.String(128), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("target_type", sa.String(32), nullable=False),
        sa.Column("target_id", sa.String(128), nullable=False),
        sa.Column("target_name", sa.String(256)),
        sa.Column("details", sa.JSON(), nullable=False),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])
    op.create_index("ix_audit_log_actor_at", "audit_log", ["actor_id", "at"])
    op.create_index("ix_audit_log_action_at", "audit_log", ["action", "at"])


def downgrade() -> None:
    for name in ("ix_audit_log_action_at", "ix_audit_log_actor_at", "ix_audit_log_at"):
        op.drop_index(name, "audit_log")
    op.drop_table("audit_log")
    with op.batch_alter_table("canned_replies") as batch:
        batch.drop_column("updated_at")
        batch.drop_column("shared")
    with op.batch_alter_table("agents") as batch:
        batch.drop_column("deactivated_at")
        batch.drop_column("active")

"""handoff desk: routing profiles, presence, handoff history, tickets, ratings, canned replies

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 03:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("handoffs") as batch:
        batch.add_column(sa.Column("category", sa.String(64)))
        batch.add_column(sa.Column("first_reply_at", sa.DateTime(timezone=True)))
        batch.add_column(sa.Column("note", sa.Text()))
        batch.add_column(sa.Column("contact", sa.JSON()))
        batch.add_column(sa.Column("rating", sa.Integer()))
        batch.add_column(sa.Column("rating_comment", sa.Text()))
        batch.add_column(sa.Column("rated_at", sa.DateTime(timezone=True)))
    with op.batch_alter_table("agents") as batch:
        batch.add_column(sa.Column("skills", sa.JSON(), nullable=False, server_default="[]"))
        batch.add_column(sa.Column("languages", sa.JSON(), nullable=False, server_default="[]"))
        batch.add_column(sa.Column("max_concurrent", sa.Integer(), nullable=False, server_default="3"))
        batch.add_column(sa.Column("auto_assign", sa.Boolean(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("presence", sa.String(16), nullable=False, server_default="offline"))
        batch.add_column(sa.Column("presence_since", sa.DateTime(timezone=True)))
    op.create_table(
        "handoff_events",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("handoff_id", sa.String(36), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("agent_id", sa.String(64)),
        sa.Column("detail", sa.JSON(), nullable=False),
    )
    op.create_index("ix_handoff_events_handoff_id", "handoff_events", ["handoff_id"])
    op.create_table(
        "canned_replies",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("title", sa.String(120), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("language", sa.String(8)),
        sa.Column("created_by", sa.String(36)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("canned_replies")
    op.drop_index("ix_handoff_events_handoff_id", "handoff_events")
    op.drop_table("handoff_events")
    with op.batch_alter_table("agents") as batch:
        for column in ("presence_since", "presence", "auto_assign", "max_concurrent", "languages", "skills"):
            batch.drop_column(column)
    with op.batch_alter_table("handoffs") as batch:
        for column in ("rated_at", "rating_comment", "rating", "contact", "note", "first_reply_at", "category"):
            batch.drop_column(column)

"""agent sessions record when they started and were last used (idle and absolute lifetimes)

Revision ID: session_lifetimes
Revises: conversation_contact
Create Date: 2026-12-01 15:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = "session_lifetimes"
down_revision = "conversation_contact"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("agent_sessions") as batch:
        batch.add_column(sa.Column("created_at", sa.DateTime(timezone=True)))
        batch.add_column(sa.Column("last_seen_at", sa.DateTime(timezone=True)))


def downgrade() -> None:
    with op.batch_alter_table("agent_sessions") as batch:
        batch.drop_column("last_seen_at")
        batch.drop_column("created_at")

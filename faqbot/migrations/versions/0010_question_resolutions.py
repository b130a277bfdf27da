"""What editors did about the questions the bot failed (Questions to fix).

Revision ID: question_resolutions
Revises: embedding_cache
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "question_resolutions"
down_revision = "embedding_cache"  # main has 0015 (embedding_cache) after agent_roles
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "kb_question_resolutions",
        sa.Column("conversation_id", sa.String(64), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("article_id", sa.String(128)),
        sa.Column("author", sa.String(64)),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("conversation_id", "seq"),
    )


def downgrade() -> None:
    op.drop_table("kb_question_resolutions")

"""phrasing embeddings cached in the database (every process builds its own index from them)

Revision ID: embedding_cache
Revises: agent_roles
Create Date: 2026-12-01 17:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "embedding_cache"
down_revision = "agent_roles"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "kb_embeddings",
        sa.Column("model", sa.String(200), nullable=False),
        sa.Column("text_hash", sa.String(64), nullable=False),
        sa.Column("dimension", sa.Integer(), nullable=False),
        sa.Column("vector", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("model", "text_hash"),
    )


def downgrade() -> None:
    op.drop_table("kb_embeddings")

"""Conversations remember the customer's Chinese script (simplified or traditional) for the bot's replies.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("conversations") as batch:
        batch.add_column(sa.Column("script", sa.String(8)))


def downgrade() -> None:
    with op.batch_alter_table("conversations") as batch:
        batch.drop_column("script")

"""conversations: who the shop says the visitor is (signed identity) and agents' tags

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 15:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("conversations") as batch:
        batch.add_column(sa.Column("visitor", sa.JSON(), nullable=False, server_default="{}"))
        batch.add_column(sa.Column("tags", sa.JSON(), nullable=False, server_default="[]"))


def downgrade() -> None:
    with op.batch_alter_table("conversations") as batch:
        batch.drop_column("tags")
        batch.drop_column("visitor")

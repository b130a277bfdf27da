"""conversations keep the customer's contact details (masked in the transcript) and their last activity

Revision ID: conversation_contact
Revises: 0005
Create Date: 2026-12-01 15:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "conversation_contact"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("conversations") as batch:
        batch.add_column(sa.Column("contact", sa.JSON(), nullable=False, server_default="{}"))
        batch.add_column(sa.Column("last_activity_at", sa.DateTime(timezone=True)))
    op.execute("UPDATE conversations SET last_activity_at = created_at")


def downgrade() -> None:
    with op.batch_alter_table("conversations") as batch:
        batch.drop_column("last_activity_at")
        batch.drop_column("contact")

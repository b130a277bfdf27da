"""Analytics: the handoff roll-up's day index becomes a covering one (day, agent(s), the filter columns and every
column the report sums or ranks), so the report's scans of a period read the index only, in day and agent order.

Revision ID: analytics_handoff_covering
Revises: analytics_rollups
"""

from __future__ import annotations

from alembic import op

# the columns of faqbot.analytics.tables.HANDOFF_COVERING when this migration was written
COVERING = ("day", "agent_id", "first_reply_agent_id", "language", "category", "live", "status", "breached", "rating",
            "wait_s", "first_reply_s", "resolution_s")

revision = "analytics_handoff_covering"
down_revision = "analytics_rollups"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_analytics_handoffs_day_covering", "analytics_handoffs", list(COVERING))
    op.drop_index("ix_analytics_handoffs_day", "analytics_handoffs")


def downgrade() -> None:
    op.create_index("ix_analytics_handoffs_day", "analytics_handoffs", ["day", "language", "category"])
    op.drop_index("ix_analytics_handoffs_day_covering", "analytics_handoffs")

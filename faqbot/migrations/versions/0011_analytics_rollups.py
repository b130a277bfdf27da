"""Analytics roll-ups: one row per conversation and per handoff (kept current from messages and handoff events),
their sums per day, the roll-up's marks, and the supervisor's targets and warning levels.

Revision ID: analytics_rollups
Revises: team_and_audit
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

DAILY_SUMS = ("conversations", "automated", "customer_messages", "answers", "clarify", "unsure", "rephrase", "rejected",
              "errors", "helpful", "not_helpful")

revision = "analytics_rollups"
down_revision = "team_and_audit"  # follows main (… 0010 question_resolutions, 0009 team_and_audit)
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "analytics_conversations",
        sa.Column("conversation_id", sa.String(64), primary_key=True),
        sa.Column("day", sa.String(10), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("language", sa.String(8)),
        sa.Column("category", sa.String(64)),
        sa.Column("customer_messages", sa.Integer(), nullable=False),
        sa.Column("answers", sa.Integer(), nullable=False),
        sa.Column("clarify", sa.Integer(), nullable=False),
        sa.Column("unsure", sa.Integer(), nullable=False),
        sa.Column("rephrase", sa.Integer(), nullable=False),
        sa.Column("rejected", sa.Integer(), nullable=False),
        sa.Column("errors", sa.Integer(), nullable=False),
        sa.Column("helpful", sa.Integer(), nullable=False),
        sa.Column("not_helpful", sa.Integer(), nullable=False),
        sa.Column("last_answer_rejected", sa.Boolean(), nullable=False),
        sa.Column("handoff_reason", sa.String(32)),
        sa.Column("automated", sa.Boolean(), nullable=False),
    )
    op.create_index("ix_analytics_conversations_day", "analytics_conversations", ["day", "language", "category"])
    op.create_table(
        "analytics_daily",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("day", sa.String(10), nullable=False),
        sa.Column("language", sa.String(8)),
        sa.Column("category", sa.String(64)),
        sa.Column("handoff_reason", sa.String(32)),
        *(sa.Column(name, sa.Integer(), nullable=False) for name in DAILY_SUMS),
    )
    op.create_index("ix_analytics_daily_day", "analytics_daily", ["day", "language", "category"])
    op.create_table(
        "analytics_handoffs",
        sa.Column("handoff_id", sa.String(36), primary_key=True),
        sa.Column("conversation_id", sa.String(64), nullable=False),
        sa.Column("day", sa.String(10), nullable=False),
        sa.Column("language", sa.String(8)),
        sa.Column("category", sa.String(64)),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("agent_id", sa.String(64)),
        sa.Column("first_reply_agent_id", sa.String(64)),
        sa.Column("live", sa.Boolean(), nullable=False),
        sa.Column("wait_s", sa.Float()),
        sa.Column("first_reply_s", sa.Float()),
        sa.Column("resolution_s", sa.Float()),
        sa.Column("breached", sa.Boolean(), nullable=False),
        sa.Column("rating", sa.Integer()),
    )
    op.create_index("ix_analytics_handoffs_conversation_id", "analytics_handoffs", ["conversation_id"])
    op.create_index("ix_analytics_handoffs_day", "analytics_handoffs", ["day", "language", "category"])
    op.create_table(
        "analytics_state",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("value", sa.Integer(), nullable=False),
    )
    op.create_table(
        "analytics_targets",
        sa.Column("metric", sa.String(32), primary_key=True),
        sa.Column("target", sa.Float(), nullable=False),
        sa.Column("warning", sa.Float(), nullable=False),
        sa.Column("updated_by", sa.String(64)),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("analytics_targets")
    op.drop_table("analytics_state")
    op.drop_index("ix_analytics_daily_day", "analytics_daily")
    op.drop_table("analytics_daily")
    op.drop_index("ix_analytics_handoffs_day", "analytics_handoffs")
    op.drop_index("ix_analytics_handoffs_conversation_id", "analytics_handoffs")
    op.drop_table("analytics_handoffs")
    op.drop_index("ix_analytics_conversations_day", "analytics_conversations")
    op.drop_table("analytics_conversations")

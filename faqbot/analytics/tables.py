"""The analytics roll-up tables (migration 0011): one row per conversation and per handoff, rebuilt from the
stored messages, handoffs and their events whenever those change, and the supervisor's targets.

Each conversation counts on the day (UTC) it started, with everything that happened in it (its handoffs too),
so a day's figures do not move when a late event arrives for a conversation of another day.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Float, Index, Integer, MetaData, String, Table

from storage import UTCDateTime

metadata = MetaData()

conversation_facts = Table(
    "analytics_conversations",
    metadata,
    Column("conversation_id", String(64), primary_key=True),
    Column("day", String(10), nullable=False),  # YYYY-MM-DD (UTC) the conversation started
    Column("started_at", UTCDateTime(), nullable=False),
    Column("language", String(8)),
    Column("category", String(64)),  # of the bot's first answer, else of the first handoff
    Column("customer_messages", Integer, nullable=False),
    Column("answers", Integer, nullable=False),   # bot replies that gave an article's answer
    Column("clarify", Integer, nullable=False),   # "did you mean" offers
    Column("unsure", Integer, nullable=False),    # "not sure, want a person?"
    Column("rephrase", Integer, nullable=False),  # asked to rephrase after a rejected answer
    Column("rejected", Integer, nullable=False),  # a rejected answer with a person offered
    Column("errors", Integer, nullable=False),    # the knowledge base failed
    Column("helpful", Integer, nullable=False),   # answers rated 👍
    Column("not_helpful", Integer, nullable=False),  # answers rated 👎 or "that's not what I asked"
    Column("last_answer_rejected", Boolean, nullable=False),
    Column("handoff_reason", String(32)),  # the reason of its first handoff, if any
    Column("automated", Boolean, nullable=False),
    Index("ix_analytics_conversations_day", "day", "language", "category"),
)

# the conversations' rows summed per day, language, category and first-handoff reason: what the figures read
DAILY_SUMS = ("conversations", "automated", "customer_messages", "answers", "clarify", "unsure", "rephrase", "rejected",
              "errors", "helpful", "not_helpful")
daily_totals = Table(
    "analytics_daily",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("day", String(10), nullable=False),
    Column("language", String(8)),
    Column("category", String(64)),
    Column("handoff_reason", String(32)),
    *(Column(name, Integer, nullable=False) for name in DAILY_SUMS),
    Index("ix_analytics_daily_day", "day", "language", "category"),
)

# the columns of the handoff rows' covering index: the period's day first, then the report's grouping and every
# column it filters, sums or ranks
HANDOFF_COVERING = ("day", "agent_id", "first_reply_agent_id", "language", "category", "live", "status", "breached",
                    "rating", "wait_s", "first_reply_s", "resolution_s")
handoff_facts = Table(
    "analytics_handoffs",
    metadata,
    Column("handoff_id", String(36), primary_key=True),
    Column("conversation_id", String(64), nullable=False, index=True),
    Column("day", String(10), nullable=False),  # the conversation's day (see above)
    Column("language", String(8)),  # the conversation's
    Column("category", String(64)),  # the conversation's
    Column("reason", String(32), nullable=False),
    Column("status", String(16), nullable=False),
    Column("agent_id", String(64)),  # who has it, or resolved it
    Column("first_reply_agent_id", String(64)),
    Column("live", Boolean, nullable=False),  # never became an offline ticket
    Column("wait_s", Float),  # requested -> first taken by an agent
    Column("first_reply_s", Float),  # requested -> an agent's first reply
    Column("resolution_s", Float),  # requested -> resolved
    Column("breached", Boolean, nullable=False),  # a live handoff whose first reply came (or was due) too late
    Column("rating", Integer),
    # covering (migration 0016): the report's scans of a period read the index only, in (day, agent) order
    Index("ix_analytics_handoffs_day_covering", *HANDOFF_COVERING),
)

rollup_state = Table(
    "analytics_state",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("value", Integer, nullable=False),  # the highest id of messages / handoff_events rolled up
)

targets_table = Table(
    "analytics_targets",
    metadata,
    Column("metric", String(32), primary_key=True),
    Column("target", Float, nullable=False),
    Column("warning", Float, nullable=False),
    Column("updated_by", String(64)),
    Column("updated_at", UTCDateTime(), nullable=False),
)

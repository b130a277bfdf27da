"""Keeping the roll-up tables current, incrementally.

A refresh finds the conversations something happened to since the last one — a message stored (`messages.id`
above the mark), a handoff event (`handoff_events.id` above the mark), or a live handoff still without a first
reply (its waiting time, and so its SLA breach, grows without events) — and rebuilds their rows from what is
stored. Rebuilding a conversation's rows is idempotent, so two processes refreshing at once, or a re-scan of the
last few ids (a PostgreSQL transaction may commit a lower id after a higher one), do no harm. Erased
conversations (retention, right to be forgotten) keep the rows they had: the statistics outlive the transcript.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable

from sqlalchemy import Integer, cast, func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from faqbot.analytics.facts import (
    StoredEvent,
    StoredHandoff,
    StoredMessage,
    conversation_facts,
    handoff_facts,
)
from faqbot.analytics.tables import DAILY_SUMS, daily_totals, rollup_state
from faqbot.analytics.tables import conversation_facts as conversations_rollup
from faqbot.analytics.tables import handoff_facts as handoffs_rollup
from faqbot.conversations.store import ERASED, conversations_table, messages_table
from handoff.models import HandoffStatus
from handoff.store import handoff_events_table, handoffs_table
from storage import utcnow

log = logging.getLogger(__name__)

RESCAN_IDS = 200  # ids below the mark looked at again (commits out of id order on PostgreSQL)
BATCH = 400  # conversations rebuilt per transaction
WAITING = (HandoffStatus.QUEUED, HandoffStatus.ASSIGNED)  # live handoffs (tickets wait offline)


class Rollup:
    def __init__(self, engine: AsyncEngine, first_reply_target_s: float,
                 clock: Callable[[], dt.datetime] = utcnow, rescan_ids: int = RESCAN_IDS) -> None:
        self._engine = engine
        self._rescan = rescan_ids
        self._target = first_reply_target_s
        self._clock = clock
        self._lock = asyncio.Lock()

    async def refresh(self) -> int:
        """Bring the roll-ups up to date; returns how many conversations were rebuilt."""
        async with self._lock:
            async with self._engine.connect() as conn:
                marks = {r.name: r.value for r in (await conn.execute(select(rollup_state))).all()}
                top_message = (await conn.execute(select(func.max(messages_table.c.id)))).scalar() or 0
                top_event = (await conn.execute(select(func.max(handoff_events_table.c.id)))).scalar() or 0
                message_mark, event_mark = marks.get("messages", 0), marks.get("handoff_events", 0)
                touched: set[str] = set()
                if top_message > message_mark:
                    touched.update((await conn.execute(
                        select(messages_table.c.conversation_id).distinct()
                        .where(messages_table.c.id > max(0, message_mark - self._rescan))
                        .where(messages_table.c.id <= top_message))).scalars())
                if top_event > event_mark:
                    touched.update((await conn.execute(
                        select(handoffs_table.c.conversation_id).distinct()
                        .join(handoff_events_table, handoff_events_table.c.handoff_id == handoffs_table.c.id)
                        .where(handoff_events_table.c.id > max(0, event_mark - self._rescan))
                        .where(handoff_events_table.c.id <= top_event))).scalars())
                touched.update((await conn.execute(  # still waiting for a first reply: the breach may come
                    select(handoffs_table.c.conversation_id).distinct()
                    .where(handoffs_table.c.status.in_([s.value for s in WAITING]))
                    .where(handoffs_table.c.first_reply_at.is_(None)))).scalars())
            ordered = sorted(touched)
            days: set[str] = set()
            for start in range(0, len(ordered), BATCH):
                days |= await self.rebuild(ordered[start:start + BATCH])
            await self.resum(days)
            if top_message > message_mark or top_event > event_mark:
                await self._save_marks(max(top_message, message_mark), max(top_event, event_mark))
            return len(ordered)

    async def rebuild(self, conversation_ids: Iterable[str]) -> set[str]:
        """Rebuild these conversations' rows from what is stored (one transaction); returns their days, whose
        sums (`resum`) are to be brought up to date."""
        ids = list(conversation_ids)
        if not ids:
            return set()
        async with self._engine.connect() as conn:
            conversations = (await conn.execute(
                select(conversations_table.c.id, conversations_table.c.created_at, conversations_table.c.language)
                .where(conversations_table.c.id.in_(ids))
                .where(conversations_table.c.token_hash != ERASED))).all()
            messages: dict[str, list[StoredMessage]] = defaultdict(list)
            for row in (await conn.execute(
                    select(messages_table.c.conversation_id, messages_table.c.seq, messages_table.c.sender,
                           messages_table.c.data, messages_table.c.created_at)
                    .where(messages_table.c.conversation_id.in_(ids))
                    .order_by(messages_table.c.conversation_id, messages_table.c.seq))).all():
                messages[row.conversation_id].append(StoredMessage(row.seq, row.sender, row.data or {},
                                                                   row.created_at))
            handoff_rows = (await conn.execute(
                select(handoffs_table).where(handoffs_table.c.conversation_id.in_(ids)))).all()
            events: dict[str, list[StoredEvent]] = defaultdict(list)
            if handoff_rows:
                for row in (await conn.execute(
                        select(handoff_events_table.c.id, handoff_events_table.c.handoff_id,
                               handoff_events_table.c.kind, handoff_events_table.c.at,
                               handoff_events_table.c.agent_id)
                        .where(handoff_events_table.c.handoff_id.in_([h.id for h in handoff_rows]))
                        .order_by(handoff_events_table.c.id))).all():
                    events[row.handoff_id].append(StoredEvent(row.id, row.kind, row.at, row.agent_id))
        handoffs: dict[str, list[StoredHandoff]] = defaultdict(list)
        for h in handoff_rows:
            handoffs[h.conversation_id].append(StoredHandoff(
                h.id, h.reason, h.status, h.created_at, h.agent_id, h.first_reply_at, h.resolved_at, h.category,
                h.rating, tuple(events[h.id])))
        now = self._clock()
        conversation_rows, handoff_rows_out, rebuilt = [], [], []
        for c in conversations:
            facts = conversation_facts(c.id, c.created_at, c.language, messages[c.id], handoffs[c.id])
            rebuilt.append(c.id)
            if facts is None:
                continue
            conversation_rows.append(facts)
            handoff_rows_out.extend(handoff_facts(facts, handoffs[c.id], first_reply_target_s=self._target,
                                                  now=now))
        if not rebuilt:
            return set()
        async with self._engine.begin() as conn:
            await conn.execute(conversations_rollup.delete()
                               .where(conversations_rollup.c.conversation_id.in_(rebuilt)))
            await conn.execute(handoffs_rollup.delete().where(handoffs_rollup.c.conversation_id.in_(rebuilt)))
            if conversation_rows:
                await conn.execute(conversations_rollup.insert(), conversation_rows)
            if handoff_rows_out:
                await conn.execute(handoffs_rollup.insert(), handoff_rows_out)
        return {row["day"] for row in conversation_rows}

    async def resum(self, days: Iterable[str]) -> None:
        """Recompute the daily sums of these days from the conversations' rows (idempotent; on PostgreSQL one
        process at a time, so two refreshes cannot both insert a day's sums)."""
        days = sorted(days)
        c = conversations_rollup.c
        for start in range(0, len(days), 100):
            chunk = days[start:start + 100]
            columns = [func.count().label("conversations"), func.sum(cast(c.automated, Integer)).label("automated"),
                       *(func.sum(c[name]).label(name) for name in DAILY_SUMS[2:])]
            summed = (select(c.day, c.language, c.category, c.handoff_reason, *columns)
                      .where(c.day.in_(chunk)).group_by(c.day, c.language, c.category, c.handoff_reason))
            async with self._engine.begin() as conn:
                if conn.dialect.name == "postgresql":
                    await conn.execute(text("SELECT pg_advisory_xact_lock(110007)"))
                await conn.execute(daily_totals.delete().where(daily_totals.c.day.in_(chunk)))
                await conn.execute(daily_totals.insert().from_select(
                    ["day", "language", "category", "handoff_reason", *DAILY_SUMS], summed))

    async def _save_marks(self, messages: int, events: int) -> None:
        async with self._engine.begin() as conn:
            for name, value in (("messages", messages), ("handoff_events", events)):
                updated = await conn.execute(rollup_state.update().where(rollup_state.c.name == name)
                                             .where(rollup_state.c.value < value).values(value=value))
                if updated.rowcount == 0:
                    exists = (await conn.execute(select(rollup_state.c.value)
                                                 .where(rollup_state.c.name == name))).first()
                    if exists is None:
                        await conn.execute(rollup_state.insert().values(name=name, value=value))

"""Handoff records and their history in the database.

State changes are single conditional UPDATEs (`WHERE status IN (...)`), so two agents claiming the
same handoff, or a claim racing the grace-period sweep, cannot both win.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import JSON, Column, Integer, MetaData, Select, String, Table, Text, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from handoff.errors import HandoffNotFound
from handoff.models import (
    OPEN_STATUSES,
    Handoff,
    HandoffEvent,
    HandoffEventKind,
    HandoffPriority,
    HandoffReason,
    HandoffStatus,
    Rating,
)
from storage import UTCDateTime, utcnow

metadata = MetaData()

handoffs_table = Table(
    "handoffs",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("conversation_id", String(64), nullable=False, index=True),
    Column("reason", String(32), nullable=False),
    Column("status", String(16), nullable=False, index=True),
    Column("language", String(8)),
    Column("priority", Integer, nullable=False, default=0, server_default="0"),
    Column("category", String(64)),
    Column("details", JSON, nullable=False, default=dict),
    Column("agent_id", String(64)),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("assigned_at", UTCDateTime()),
    Column("first_reply_at", UTCDateTime()),
    Column("resolved_at", UTCDateTime()),
    Column("note", Text),
    Column("contact", JSON),
    Column("rating", Integer),
    Column("rating_comment", Text),
    Column("rated_at", UTCDateTime()),
)

handoff_events_table = Table(
    "handoff_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("handoff_id", String(36), nullable=False, index=True),
    Column("kind", String(16), nullable=False),
    Column("at", UTCDateTime(), nullable=False),
    Column("agent_id", String(64)),
    Column("detail", JSON, nullable=False, default=dict),
)

# what a handoff or one of its events may hold about the customer as a person
PERSONAL_DETAIL_KEYS = frozenset({"contact", "comment", "note", "slots", "text", "summary"})


class HandoffStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def open_for(self, conversation_id: str) -> Handoff | None:
        async with self._engine.connect() as conn:
            row = (await conn.execute(_open_handoff_of(conversation_id))).first()
        return _handoff(row) if row else None

    async def create_unless_open(
        self, conversation_id: str, reason: HandoffReason, language: str | None, details: dict[str, Any],
        priority: HandoffPriority = HandoffPriority.NORMAL, category: str | None = None,
    ) -> tuple[Handoff, bool]:
        """The conversation's open handoff, creating one if there is none; True when it was created."""
        async with self._engine.begin() as conn:
            row = (await conn.execute(_open_handoff_of(conversation_id))).first()
            if row:
                return _handoff(row), False
            now = utcnow()
            values = {
                "id": str(uuid.uuid4()),
                "conversation_id": conversation_id,
                "reason": reason.value,
                "status": HandoffStatus.QUEUED.value,
                "language": language,
                "priority": priority.rank,
                "category": category,
                "details": details,
                "created_at": now,
            }
            await conn.execute(handoffs_table.insert().values(**values))
            await conn.execute(handoff_events_table.insert().values(
                handoff_id=values["id"], kind=HandoffEventKind.QUEUED.value, at=now, agent_id=None,
                detail={"reason": reason.value, "priority": priority.value}))
        return await self.get(values["id"]), True

    async def get(self, handoff_id: str) -> Handoff:
        async with self._engine.connect() as conn:
            row = (await conn.execute(select(handoffs_table).where(handoffs_table.c.id == handoff_id))).first()
        if row is None:
            raise HandoffNotFound(handoff_id)
        return _handoff(row)

    async def list(self, statuses: Iterable[HandoffStatus], *, agent_id: str | None = None) -> list[Handoff]:
        """Handoffs in these states, high priority first, then oldest first."""
        stmt = select(handoffs_table).where(handoffs_table.c.status.in_([s.value for s in statuses]))
        if agent_id is not None:
            stmt = stmt.where(handoffs_table.c.agent_id == agent_id)
        stmt = stmt.order_by(handoffs_table.c.priority.desc(), handoffs_table.c.created_at, handoffs_table.c.id)
        async with self._engine.connect() as conn:
            rows = (await conn.execute(stmt)).all()
        return [_handoff(r) for r in rows]

    async def for_conversation(self, conversation_id: str) -> list[Handoff]:
        """Every handoff of a conversation, oldest first."""
        async with self._engine.connect() as conn:
            rows = (await conn.execute(select(handoffs_table)
                                       .where(handoffs_table.c.conversation_id == conversation_id)
                                       .order_by(handoffs_table.c.created_at))).all()
        return [_handoff(r) for r in rows]

    async def assigned_counts(self) -> dict[str, int]:
        """How many conversations each agent has right now."""
        async with self._engine.connect() as conn:
            rows = (await conn.execute(
                select(handoffs_table.c.agent_id, func.count())
                .where(handoffs_table.c.status == HandoffStatus.ASSIGNED.value)
                .group_by(handoffs_table.c.agent_id))).all()
        return {agent_id: count for agent_id, count in rows if agent_id}

    async def recent_handle_seconds(self, limit: int = 50) -> list[float]:
        """How long agents took (assigned → resolved) over the most recent resolved handoffs."""
        async with self._engine.connect() as conn:
            rows = (await conn.execute(
                select(handoffs_table.c.assigned_at, handoffs_table.c.resolved_at)
                .where(handoffs_table.c.status == HandoffStatus.RESOLVED.value)
                .where(handoffs_table.c.assigned_at.is_not(None))
                .order_by(handoffs_table.c.resolved_at.desc()).limit(limit))).all()
        return [(r.resolved_at - r.assigned_at).total_seconds() for r in rows if r.resolved_at and r.assigned_at]

    async def transition(
        self, handoff_id: str, expected: Iterable[HandoffStatus], new: HandoffStatus, event: HandoffEventKind, *,
        agent_id: str | None = None, require_agent: str | None = None, detail: dict[str, Any] | None = None,
        values: dict[str, Any] | None = None,
    ) -> bool:
        """Move from one of `expected` to `new` atomically and log it; False if the handoff was not there.

        `agent_id` becomes the handoff's agent for ASSIGNED (and is logged); `require_agent` makes
        the change conditional on who has it now.
        """
        now = utcnow()
        stmt = handoffs_table.update().where(handoffs_table.c.id == handoff_id).where(
            handoffs_table.c.status.in_([s.value for s in expected]))
        if require_agent is not None:
            stmt = stmt.where(handoffs_table.c.agent_id == require_agent)
        changes: dict[str, Any] = {"status": new.value, **(values or {})}
        if new is HandoffStatus.ASSIGNED:
            changes.update(agent_id=agent_id, assigned_at=now)
        elif new in (HandoffStatus.QUEUED, HandoffStatus.TICKET):
            changes.update(agent_id=None, assigned_at=None)
        elif new in (HandoffStatus.RESOLVED, HandoffStatus.ABANDONED):
            changes.update(resolved_at=now)
        async with self._engine.begin() as conn:
            result = await conn.execute(stmt.values(**changes))
            if result.rowcount != 1:
                return False
            await conn.execute(handoff_events_table.insert().values(
                handoff_id=handoff_id, kind=event.value, at=now, agent_id=agent_id or require_agent,
                detail=detail or {}))
        return True

    async def mark_first_reply(self, handoff_id: str, agent_id: str) -> bool:
        """Record the first agent reply; True only the first time."""
        now = utcnow()
        async with self._engine.begin() as conn:
            result = await conn.execute(
                handoffs_table.update().where(handoffs_table.c.id == handoff_id)
                .where(handoffs_table.c.first_reply_at.is_(None)).values(first_reply_at=now))
            if result.rowcount != 1:
                return False
            await conn.execute(handoff_events_table.insert().values(
                handoff_id=handoff_id, kind=HandoffEventKind.FIRST_REPLY.value, at=now, agent_id=agent_id,
                detail={}))
        return True

    async def set_category(self, handoff_id: str, category: str | None) -> None:
        """The category is routing data, not part of the state machine."""
        async with self._engine.begin() as conn:
            await conn.execute(handoffs_table.update().where(handoffs_table.c.id == handoff_id)
                               .values(category=category))

    async def rate(self, handoff_id: str, score: int, comment: str | None) -> bool:
        """Store the customer's rating of a resolved handoff; a later rating (or comment) replaces it."""
        now = utcnow()
        async with self._engine.begin() as conn:
            result = await conn.execute(
                handoffs_table.update().where(handoffs_table.c.id == handoff_id)
                .where(handoffs_table.c.status == HandoffStatus.RESOLVED.value)
                .values(rating=score, rating_comment=comment, rated_at=now))
            if result.rowcount != 1:
                return False
            await conn.execute(handoff_events_table.insert().values(
                handoff_id=handoff_id, kind=HandoffEventKind.RATED.value, at=now, agent_id=None,
                detail={"rating": score, **({"comment": comment} if comment else {})}))
        return True

    async def events(self, handoff_ids: Iterable[str]) -> list[HandoffEvent]:
        """The history of these handoffs, in order."""
        async with self._engine.connect() as conn:
            rows = (await conn.execute(
                select(handoff_events_table).where(handoff_events_table.c.handoff_id.in_(list(handoff_ids)))
                .order_by(handoff_events_table.c.id))).all()
        return [HandoffEvent(r.handoff_id, HandoffEventKind(r.kind), r.at, r.agent_id, dict(r.detail or {}))
                for r in rows]


    async def anonymise(self, conversation_id: str) -> int:
        """Forget what identifies the customer in a conversation's handoffs (contact, notes, comments, slots);
        keep states, times and scores for the statistics. Returns how many handoffs there were."""
        async with self._engine.begin() as conn:
            rows = (await conn.execute(select(handoffs_table.c.id, handoffs_table.c.details)
                                       .where(handoffs_table.c.conversation_id == conversation_id))).all()
            for row in rows:
                details = {k: v for k, v in dict(row.details or {}).items() if k not in PERSONAL_DETAIL_KEYS}
                await conn.execute(handoffs_table.update().where(handoffs_table.c.id == row.id).values(
                    contact=None, note=None, rating_comment=None, details=details))
                events = (await conn.execute(select(handoff_events_table.c.id, handoff_events_table.c.detail)
                                             .where(handoff_events_table.c.handoff_id == row.id))).all()
                for event in events:
                    detail = dict(event.detail or {})
                    if PERSONAL_DETAIL_KEYS & detail.keys():
                        await conn.execute(handoff_events_table.update().where(handoff_events_table.c.id == event.id)
                                           .values(detail={k: v for k, v in detail.items()
                                                           if k not in PERSONAL_DETAIL_KEYS}))
        return len(rows)

def _open_handoff_of(conversation_id: str) -> Select:
    """A conversation has at most one open (queued, assigned or ticket) handoff."""
    return (
        select(handoffs_table)
        .where(handoffs_table.c.conversation_id == conversation_id)
        .where(handoffs_table.c.status.in_([s.value for s in OPEN_STATUSES]))
        .order_by(handoffs_table.c.created_at.desc())
        .limit(1)
    )


def _handoff(row) -> Handoff:
    rating = Rating(row.rating, row.rating_comment, row.rated_at) if row.rating is not None else None
    return Handoff(
        id=row.id,
        conversation_id=row.conversation_id,
        reason=HandoffReason(row.reason),
        status=HandoffStatus(row.status),
        created_at=row.created_at,
        language=row.language,
        priority=HandoffPriority.from_rank(row.priority),
        category=row.category,
        details=dict(row.details or {}),
        agent_id=row.agent_id,
        assigned_at=row.assigned_at,
        first_reply_at=row.first_reply_at,
        resolved_at=row.resolved_at,
        note=row.note,
        contact=dict(row.contact or {}),
        rating=rating,
    )

"""Handoff records in the database; state changes are single conditional UPDATEs, so they are race-free."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import JSON, Column, Integer, MetaData, Select, String, Table, select
from sqlalchemy.ext.asyncio import AsyncEngine

from handoff.errors import HandoffNotFound
from handoff.models import OPEN_STATUSES, Handoff, HandoffPriority, HandoffReason, HandoffStatus
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
    Column("details", JSON, nullable=False, default=dict),
    Column("agent_id", String(64)),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("assigned_at", UTCDateTime()),
    Column("resolved_at", UTCDateTime()),
)


class HandoffStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def open_for(self, conversation_id: str) -> Handoff | None:
        async with self._engine.connect() as conn:
            row = (await conn.execute(_open_handoff_of(conversation_id))).first()
        return _handoff(row) if row else None

    async def create_unless_open(
        self, conversation_id: str, reason: HandoffReason, language: str | None, details: dict[str, Any],
        priority: HandoffPriority = HandoffPriority.NORMAL,
    ) -> tuple[Handoff, bool]:
        """The conversation's open handoff, creating one if there is none; True when it was created."""
        async with self._engine.begin() as conn:
            row = (await conn.execute(_open_handoff_of(conversation_id))).first()
            if row:
                return _handoff(row), False
            values = {
                "id": str(uuid.uuid4()),
                "conversation_id": conversation_id,
                "reason": reason.value,
                "status": HandoffStatus.QUEUED.value,
                "language": language,
                "priority": priority.rank,
                "details": details,
                "created_at": utcnow(),
            }
            await conn.execute(handoffs_table.insert().values(**values))
        return await self.get(values["id"]), True

    async def get(self, handoff_id: str) -> Handoff:
        async with self._engine.connect() as conn:
            row = (await conn.execute(select(handoffs_table).where(handoffs_table.c.id == handoff_id))).first()
        if row is None:
            raise HandoffNotFound(handoff_id)
        return _handoff(row)

    async def list(self, statuses: Iterable[HandoffStatus]) -> list[Handoff]:
        async with self._engine.connect() as conn:
            rows = (
                await conn.execute(
                    select(handoffs_table)
                    .where(handoffs_table.c.status.in_([s.value for s in statuses]))
                    .order_by(handoffs_table.c.priority.desc(), handoffs_table.c.created_at)
                )
            ).all()
        return [_handoff(r) for r in rows]

    async def transition(
        self, handoff_id: str, expected: HandoffStatus, new: HandoffStatus, *, agent_id: str | None = None,
        require_agent: str | None = None,
    ) -> bool:
        """Move from `expected` to `new` atomically; False if the handoff was not in `expected`."""
        stmt = handoffs_table.update().where(handoffs_table.c.id == handoff_id).where(
            handoffs_table.c.status == expected.value
        )
        if require_agent is not None:
            stmt = stmt.where(handoffs_table.c.agent_id == require_agent)
        values: dict[str, Any] = {"status": new.value}
        if new is HandoffStatus.ASSIGNED:
            values.update(agent_id=agent_id, assigned_at=utcnow())
        if new is HandoffStatus.RESOLVED:
            values.update(resolved_at=utcnow())
        async with self._engine.begin() as conn:
            result = await conn.execute(stmt.values(**values))
        return result.rowcount == 1


def _open_handoff_of(conversation_id: str) -> Select:
    """A conversation has at most one open (queued or assigned) handoff."""
    return (
        select(handoffs_table)
        .where(handoffs_table.c.conversation_id == conversation_id)
        .where(handoffs_table.c.status.in_([s.value for s in OPEN_STATUSES]))
        .order_by(handoffs_table.c.created_at.desc())
        .limit(1)
    )


def _handoff(row) -> Handoff:
    return Handoff(
        id=row.id,
        conversation_id=row.conversation_id,
        reason=HandoffReason(row.reason),
        status=HandoffStatus(row.status),
        created_at=row.created_at,
        language=row.language,
        priority=HandoffPriority.from_rank(row.priority),
        details=dict(row.details or {}),
        agent_id=row.agent_id,
        assigned_at=row.assigned_at,
        resolved_at=row.resolved_at,
    )

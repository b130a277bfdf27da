"""What editors did about questions the bot failed: added as phrasings, turned into a draft, or dismissed.

Kept per question (conversation id + message sequence number), so a cluster of the same need leaves the list
once all its questions are handled, and comes back when a new question of that need fails.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import Column, Integer, PrimaryKeyConstraint, String, Table, select, tuple_
from sqlalchemy.ext.asyncio import AsyncEngine

from knowledge_base.store import metadata
from storage import UTCDateTime, utcnow

resolutions_table = Table(
    "kb_question_resolutions",
    metadata,
    Column("conversation_id", String(64), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("action", String(16), nullable=False),
    Column("article_id", String(128)),
    Column("author", String(64)),
    Column("resolved_at", UTCDateTime(), nullable=False),
    PrimaryKeyConstraint("conversation_id", "seq"),
)


class Resolution(StrEnum):
    PHRASINGS = "phrasings"  # added as phrasings of an existing article
    DRAFT = "draft"  # a draft article was created from them
    DISMISSED = "dismissed"


@dataclass(frozen=True)
class QuestionKey:
    conversation_id: str
    seq: int


class ResolutionStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def resolved(self, keys: Collection[QuestionKey]) -> dict[QuestionKey, dict]:
        if not keys:
            return {}
        found: dict[QuestionKey, dict] = {}
        keys = list(keys)
        async with self._engine.connect() as conn:
            for start in range(0, len(keys), 500):
                chunk = keys[start:start + 500]
                rows = (await conn.execute(select(resolutions_table).where(
                    tuple_(resolutions_table.c.conversation_id, resolutions_table.c.seq).in_(
                        [(k.conversation_id, k.seq) for k in chunk])))).all()
                for r in rows:
                    found[QuestionKey(r.conversation_id, r.seq)] = {
                        "action": r.action, "article_id": r.article_id, "author": r.author,
                        "resolved_at": r.resolved_at}
        return found

    async def resolve(self, keys: Sequence[QuestionKey], action: Resolution, article_id: str | None,
                      author: str | None, at: dt.datetime | None = None) -> int:
        """Mark `keys` handled (again, if they were); returns how many."""
        now = at or utcnow()
        async with self._engine.begin() as conn:
            await conn.execute(resolutions_table.delete().where(
                tuple_(resolutions_table.c.conversation_id, resolutions_table.c.seq).in_(
                    [(k.conversation_id, k.seq) for k in keys])))
            await conn.execute(resolutions_table.insert(), [
                {"conversation_id": k.conversation_id, "seq": k.seq, "action": action.value,
                 "article_id": article_id, "author": author, "resolved_at": now} for k in dict.fromkeys(keys)])
        return len(set(keys))

"""Saved replies agents insert with one click ("canned replies"), shared by the whole team."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import Column, MetaData, String, Table, Text, select
from sqlalchemy.ext.asyncio import AsyncEngine

from storage import UTCDateTime, utcnow

metadata = MetaData()

canned_replies_table = Table(
    "canned_replies",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("title", String(120), nullable=False),
    Column("text", Text, nullable=False),
    Column("language", String(8)),
    Column("created_by", String(36)),
    Column("created_at", UTCDateTime(), nullable=False),
)


class CannedReplyNotFound(Exception):
    def __init__(self, reply_id: str) -> None:
        super().__init__(f"no canned reply with id '{reply_id}'")


@dataclass(frozen=True)
class CannedReply:
    id: str
    title: str
    text: str
    language: str | None

    def to_json(self) -> dict[str, str | None]:
        return {"id": self.id, "title": self.title, "text": self.text, "language": self.language}


class CannedReplyStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def list(self) -> list[CannedReply]:
        async with self._engine.connect() as conn:
            rows = (await conn.execute(select(canned_replies_table)
                                       .order_by(canned_replies_table.c.language, canned_replies_table.c.title))).all()
        return [CannedReply(r.id, r.title, r.text, r.language) for r in rows]

    async def create(self, title: str, text: str, language: str | None, created_by: str | None) -> CannedReply:
        reply = CannedReply(str(uuid.uuid4()), title.strip(), text.strip(), language)
        async with self._engine.begin() as conn:
            await conn.execute(canned_replies_table.insert().values(
                id=reply.id, title=reply.title, text=reply.text, language=language, created_by=created_by,
                created_at=utcnow()))
        return reply

    async def delete(self, reply_id: str) -> None:
        async with self._engine.begin() as conn:
            result = await conn.execute(canned_replies_table.delete().where(canned_replies_table.c.id == reply_id))
        if result.rowcount != 1:
            raise CannedReplyNotFound(reply_id)

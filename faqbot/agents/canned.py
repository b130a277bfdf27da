"""Saved replies agents insert with one click ("canned replies").

A reply is shared (the whole team sees it; supervisors and admins manage it) or personal (only its owner
sees, changes and deletes it).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import Boolean, Column, MetaData, String, Table, Text, or_, select
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
    Column("created_by", String(36)),   # the owner of a personal reply
    Column("created_at", UTCDateTime(), nullable=False),
    Column("shared", Boolean, nullable=False, default=True, server_default="1"),
    Column("updated_at", UTCDateTime()),
)


class CannedReplyNotFound(Exception):
    def __init__(self, reply_id: str) -> None:
        super().__init__(f"no canned reply with id '{reply_id}'")


class CannedReplyForbidden(Exception):
    """The reply exists (and the account can see it) but the account may not change it."""


@dataclass(frozen=True)
class CannedReply:
    id: str
    title: str
    text: str
    language: str | None
    shared: bool = True
    owner_id: str | None = None

    def to_json(self) -> dict[str, object]:
        return {"id": self.id, "title": self.title, "text": self.text, "language": self.language,
                "shared": self.shared, "owner_id": self.owner_id}


def _reply(row) -> CannedReply:
    return CannedReply(row.id, row.title, row.text, row.language, bool(row.shared), row.created_by)


class CannedReplyStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def list(self, viewer_id: str | None = None) -> list[CannedReply]:
        """The shared replies and `viewer_id`'s personal ones (shared only when no viewer is given)."""
        c = canned_replies_table.c
        visible = or_(c.shared.is_(True), c.created_by == viewer_id) if viewer_id else c.shared.is_(True)
        async with self._engine.connect() as conn:
            rows = (await conn.execute(select(canned_replies_table).where(visible)
                                       .order_by(c.shared.desc(), c.language, c.title))).all()
        return [_reply(r) for r in rows]

    async def get(self, reply_id: str, viewer_id: str) -> CannedReply:
        """The reply if `viewer_id` can see it (someone else's personal reply counts as not there)."""
        async with self._engine.connect() as conn:
            row = (await conn.execute(select(canned_replies_table)
                                      .where(canned_replies_table.c.id == reply_id))).first()
        if row is None or (not row.shared and row.created_by != viewer_id):
            raise CannedReplyNotFound(reply_id)
        return _reply(row)

    async def create(self, title: str, text: str, language: str | None, created_by: str | None,
                     shared: bool = False) -> CannedReply:
        reply = CannedReply(str(uuid.uuid4()), title.strip(), text.strip(), language, shared, created_by)
        async with self._engine.begin() as conn:
            await conn.execute(canned_replies_table.insert().values(
                id=reply.id, title=reply.title, text=reply.text, language=language, created_by=created_by,
                created_at=utcnow(), shared=shared))
        return reply

    async def update(self, reply_id: str, *, title: str | None = None, text: str | None = None,
                     language: str | None = None, set_language: bool = False) -> CannedReply:
        values: dict[str, object] = {"updated_at": utcnow()}
        if title is not None:
            values["title"] = title.strip()
        if text is not None:
            values["text"] = text.strip()
        if set_language:
            values["language"] = language
        async with self._engine.begin() as conn:
            result = await conn.execute(canned_replies_table.update()
                                        .where(canned_replies_table.c.id == reply_id).values(**values))
            if result.rowcount != 1:
                raise CannedReplyNotFound(reply_id)
            row = (await conn.execute(select(canned_replies_table)
                                      .where(canned_replies_table.c.id == reply_id))).one()
        return _reply(row)

    async def delete(self, reply_id: str) -> None:
        async with self._engine.begin() as conn:
            result = await conn.execute(canned_replies_table.delete().where(canned_replies_table.c.id == reply_id))
        if result.rowcount != 1:
            raise CannedReplyNotFound(reply_id)


def may_manage(reply: CannedReply, account) -> bool:
    """Personal replies: only their owner. Shared ones: supervisors and admins."""
    if reply.shared:
        return account.has_role("supervisor", "admin")
    return reply.owner_id == account.id

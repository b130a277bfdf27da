"""Conversations and messages in the database.

Sequence numbers come from one atomic `UPDATE ... SET last_seq = last_seq + 1 RETURNING`,
so they are gap-free and unique per conversation even with several writers.
"""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    select,
)
from sqlalchemy.ext.asyncio import AsyncEngine

from faqbot.conversations.models import Conversation, Message, Sender
from storage import UTCDateTime, utcnow

metadata = MetaData()

conversations_table = Table(
    "conversations",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("token_hash", String(64), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("last_seq", Integer, nullable=False, default=0),
    Column("language", String(8)),
    Column("script", String(8)),  # "hans" or "hant": how the customer writes Chinese
    Column("page_url", Text),
    Column("needs_bot_resume", Boolean, nullable=False, default=False),
    Column("visitor", JSON, nullable=False, default=dict, server_default="{}"),
    Column("tags", JSON, nullable=False, default=list, server_default="[]"),
    # what the customer told us to reach them by (e-mail, phone): kept here, masked in the transcript
    Column("contact", JSON, nullable=False, default=dict, server_default="{}"),
    Column("last_activity_at", UTCDateTime()),  # the latest message; the token and retention run from it
)

messages_table = Table(
    "messages",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("conversation_id", String(64), ForeignKey("conversations.id"), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("sender", String(16), nullable=False),
    Column("text", Text, nullable=False),
    Column("data", JSON, nullable=False, default=dict),
    Column("created_at", UTCDateTime(), nullable=False),
    UniqueConstraint("conversation_id", "seq", name="uq_messages_conversation_seq"),
)


ERASED = "erased"  # the token hash of an erased conversation: no token matches it


class ConversationNotFound(Exception):
    def __init__(self, conversation_id: str) -> None:
        super().__init__(f"no conversation with id '{conversation_id}'")


KNOWN_IDS = 50_000  # conversation ids remembered as existing (conversations are never deleted, only erased)


class ConversationStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._known: OrderedDict[str, None] = OrderedDict()

    def _remember(self, conversation_id: str) -> None:
        self._known[conversation_id] = None
        self._known.move_to_end(conversation_id)
        if len(self._known) > KNOWN_IDS:
            self._known.popitem(last=False)

    async def create(self, conversation_id: str, token_hash: str, *, page_url: str | None,
                     language: str | None, visitor: dict[str, Any] | None = None) -> Conversation:
        async with self._engine.begin() as conn:
            await conn.execute(
                conversations_table.insert().values(
                    id=conversation_id, token_hash=token_hash, created_at=utcnow(), last_seq=0,
                    page_url=page_url, language=language, needs_bot_resume=False, visitor=visitor or {}, tags=[],
                    contact={}, last_activity_at=utcnow(),
                )
            )
        self._remember(conversation_id)
        return await self.get(conversation_id)

    async def get(self, conversation_id: str) -> Conversation:
        async with self._engine.connect() as conn:
            row = (
                await conn.execute(select(conversations_table).where(conversations_table.c.id == conversation_id))
            ).first()
        if row is None:
            raise ConversationNotFound(conversation_id)
        return _conversation(row)

    async def exists(self, conversation_id: str) -> bool:
        """Whether the service started this conversation (asked by every custom action call: a conversation once
        found is remembered, since none is ever deleted)."""
        if conversation_id in self._known:
            return True
        async with self._engine.connect() as conn:
            found = (await conn.execute(select(conversations_table.c.id)
                                        .where(conversations_table.c.id == conversation_id))).first()
        if found is not None:
            self._remember(conversation_id)
        return found is not None

    async def get_many(self, conversation_ids: Collection[str]) -> dict[str, Conversation]:
        async with self._engine.connect() as conn:
            rows = (await conn.execute(select(conversations_table)
                                       .where(conversations_table.c.id.in_(list(conversation_ids))))).all()
        return {row.id: _conversation(row) for row in rows}

    async def customer_messages(self, conversation_ids: Collection[str]) -> dict[str, list[Message]]:
        """What the customers of these conversations wrote, oldest first, in one query."""
        async with self._engine.connect() as conn:
            rows = (await conn.execute(
                select(messages_table).where(messages_table.c.conversation_id.in_(list(conversation_ids)))
                .where(messages_table.c.sender == Sender.CUSTOMER.value)
                .order_by(messages_table.c.conversation_id, messages_table.c.seq))).all()
        found: dict[str, list[Message]] = {cid: [] for cid in conversation_ids}
        for row in rows:
            found[row.conversation_id].append(_message(row))
        return found

    async def update(self, conversation_id: str, **values: Any) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(
                conversations_table.update().where(conversations_table.c.id == conversation_id).values(**values)
            )

    async def append(self, conversation_id: str, sender: Sender, text: str,
                     data: dict[str, Any] | None = None, **conversation_values: Any) -> Message:
        """Store one message with the next sequence number; `conversation_values` (e.g. the customer's
        language) are written to the conversation in the same statement."""
        [message] = await self.record(conversation_id, [(sender, text, data or {})], **conversation_values)
        return message

    async def record(self, conversation_id: str, new: Sequence[tuple[Sender, str, dict[str, Any]]],
                     annotations: Mapping[int, dict[str, Any]] | None = None,
                     known: Mapping[int, dict[str, Any]] | None = None,
                     **conversation_values: Any) -> list[Message]:
        """One transaction: merge `annotations` into stored messages' data (by sequence number), then store
        the `new` messages with the next sequence numbers, in order. `known`: the stored data of annotated
        messages the caller holds (stored in this turn, under its lock), which then need not be read first."""
        created_at = utcnow()
        async with self._engine.begin() as conn:
            if annotations:
                await self._annotate(conn, conversation_id, annotations, known)
            if not new:
                return []
            last = (
                await conn.execute(
                    conversations_table.update()
                    .where(conversations_table.c.id == conversation_id)
                    .values(last_seq=conversations_table.c.last_seq + len(new), last_activity_at=utcnow(),
                            **conversation_values)
                    .returning(conversations_table.c.last_seq)
                )
            ).scalar_one_or_none()
            if last is None:
                raise ConversationNotFound(conversation_id)
            first = last - len(new) + 1
            messages = [Message(conversation_id, first + i, sender, text, created_at, data)
                        for i, (sender, text, data) in enumerate(new)]
            await conn.execute(messages_table.insert(), [
                {"conversation_id": conversation_id, "seq": m.seq, "sender": m.sender.value, "text": m.text,
                 "data": m.data, "created_at": created_at} for m in messages])
        return messages

    async def inactive_before(self, cutoff, limit: int = 500) -> list[str]:
        """Conversations whose last message is older than `cutoff` and that still hold a transcript."""
        async with self._engine.connect() as conn:
            rows = (await conn.execute(
                select(conversations_table.c.id).where(conversations_table.c.last_activity_at < cutoff)
                .where(conversations_table.c.token_hash != ERASED).limit(limit))).all()
        return [row.id for row in rows]

    async def with_contact(self) -> list[Conversation]:
        """Conversations that hold contact details (to find one customer's)."""
        async with self._engine.connect() as conn:
            rows = (await conn.execute(select(conversations_table)
                                       .where(conversations_table.c.token_hash != ERASED))).all()
        return [c for c in map(_conversation, rows) if c.contact or c.visitor]

    async def erase(self, conversation_id: str) -> None:
        """Delete the transcript and what identifies the customer; the conversation's id and times stay
        (handoff statistics refer to them) and its token no longer opens it."""
        async with self._engine.begin() as conn:
            await conn.execute(messages_table.delete().where(messages_table.c.conversation_id == conversation_id))
            await conn.execute(conversations_table.update().where(conversations_table.c.id == conversation_id)
                               .values(token_hash=ERASED, contact={}, visitor={}, tags=[], page_url=None))

    async def add_contact(self, conversation_id: str, contact: dict[str, str]) -> None:
        """Merge contact details (newer ones win) into the conversation's."""
        if not contact:
            return
        async with self._engine.begin() as conn:
            current = (await conn.execute(select(conversations_table.c.contact)
                                          .where(conversations_table.c.id == conversation_id))).scalar_one_or_none()
            await conn.execute(conversations_table.update().where(conversations_table.c.id == conversation_id)
                               .values(contact={**(current or {}), **contact}))

    async def search(self, *, text: str | None = None, customer: str | None = None, tag: str | None = None,
                     since: dt.datetime | None = None, until: dt.datetime | None = None,
                     limit: int = 50, scan: int = 2000) -> list[Conversation]:
        """Past conversations, newest first: containing `text`, with a customer matching `customer` (the name,
        e-mail or id the shop gave, or something the customer wrote), tagged `tag`, started in [since, until)."""
        query = select(conversations_table).where(conversations_table.c.last_seq > 0)
        if since is not None:
            query = query.where(conversations_table.c.created_at >= since)
        if until is not None:
            query = query.where(conversations_table.c.created_at < until)
        if text:
            query = query.where(conversations_table.c.id.in_(_containing(text)))
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query.order_by(conversations_table.c.created_at.desc()).limit(scan))).all()
            wrote = set()
            if customer:
                wrote = set((await conn.execute(_containing(customer, Sender.CUSTOMER))).scalars())
        found = []
        for conversation in map(_conversation, rows):
            if tag and tag.strip().lower() not in conversation.tags:
                continue
            if customer and conversation.id not in wrote and not _visitor_matches(conversation.visitor, customer):
                continue
            found.append(conversation)
            if len(found) >= limit:
                break
        return found

    async def by_client_id(self, conversation_id: str, client_id: str, scan: int = 200) -> Message | None:
        """The customer message the widget sent with `client_id` (a retry after a lost connection), if stored."""
        for message in reversed(await self.messages(conversation_id, limit=scan, before=2**31 - 1)):
            if message.sender is Sender.CUSTOMER and message.data.get("client_id") == client_id:
                return message
        return None

    @staticmethod
    async def _annotate(conn, conversation_id: str, annotations: Mapping[int, dict[str, Any]],
                        known: Mapping[int, dict[str, Any]] | None = None) -> None:
        rows = [(seq, known[seq]) for seq in annotations if known and seq in known]
        unknown = [seq for seq in annotations if not known or seq not in known]
        if unknown:
            rows += (await conn.execute(
                select(messages_table.c.seq, messages_table.c.data)
                .where(messages_table.c.conversation_id == conversation_id)
                .where(messages_table.c.seq.in_(unknown)))).all()
        for seq, current in rows:
            await conn.execute(
                messages_table.update()
                .where(messages_table.c.conversation_id == conversation_id)
                .where(messages_table.c.seq == seq)
                .values(data={**(current or {}), **annotations[seq]})
            )

    async def turn_context(self, conversation_id: str, recent: int) -> tuple[Conversation, list[Message]]:
        """The conversation and its last `recent` messages (oldest first), read together."""
        async with self._engine.connect() as conn:
            row = (await conn.execute(
                select(conversations_table).where(conversations_table.c.id == conversation_id))).first()
            if row is None:
                raise ConversationNotFound(conversation_id)
            rows = (await conn.execute(
                select(messages_table).where(messages_table.c.conversation_id == conversation_id)
                .order_by(messages_table.c.seq.desc()).limit(recent))).all()
        return _conversation(row), [_message(r) for r in reversed(rows)]

    async def message(self, conversation_id: str, seq: int) -> Message | None:
        async with self._engine.connect() as conn:
            row = (await conn.execute(
                select(messages_table).where(messages_table.c.conversation_id == conversation_id)
                .where(messages_table.c.seq == seq))).first()
        return _message(row) if row is not None else None

    async def annotate(self, conversation_id: str, seq: int, extra: dict[str, Any]) -> None:
        """Merge `extra` into a stored message's data (e.g. the intent Rasa read from it)."""
        async with self._engine.begin() as conn:
            await self._annotate(conn, conversation_id, {seq: extra})

    async def messages(self, conversation_id: str, after: int = 0, limit: int = 1000,
                       before: int | None = None) -> list[Message]:
        """Messages after sequence number `after`, oldest first; with `before`, the last `limit` before it."""
        query = (select(messages_table).where(messages_table.c.conversation_id == conversation_id)
                 .where(messages_table.c.seq > after))
        if before is not None:
            query = query.where(messages_table.c.seq < before).order_by(messages_table.c.seq.desc())
        else:
            query = query.order_by(messages_table.c.seq)
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query.limit(limit))).all()
        messages = [_message(r) for r in rows]
        return messages[::-1] if before is not None else messages

    async def answer_feedback(self, scan: int = 5000) -> list[AnswerStats]:
        """How each article did as the bot's answer in the last `scan` bot replies (most 👎 first)."""
        async with self._engine.connect() as conn:
            rows = (await conn.execute(
                select(messages_table).where(messages_table.c.sender == Sender.BOT.value)
                .order_by(messages_table.c.id.desc()).limit(scan))).all()
        return _answer_stats([m for m in map(_message, rows)
                              if m.data.get("outcome") == "answer" and m.data.get("article_id")])

    async def answered_across_languages(self, scan: int = 5000) -> dict[tuple[str, str], int]:
        """(article id, the customer's language) → how many of the last `scan` bot replies answered with an
        article that has no version in the customer's language (the bot said so; the editors should translate)."""
        async with self._engine.connect() as conn:
            rows = (await conn.execute(
                select(messages_table).where(messages_table.c.sender == Sender.BOT.value)
                .order_by(messages_table.c.id.desc()).limit(scan))).all()
        counts: dict[tuple[str, str], int] = {}
        for message in map(_message, rows):
            language, article_id = message.data.get("translation_missing"), message.data.get("article_id")
            if message.data.get("outcome") == "answer" and isinstance(language, str) and isinstance(article_id, str):
                counts[article_id, language] = counts.get((article_id, language), 0) + 1
        return counts

    async def unanswered(self, limit: int = 100, scan: int = 5000) -> list[tuple[Message, Message]]:
        """(customer question, the bot's "not sure" reply) pairs, newest first, from the last `scan` bot replies."""
        async with self._engine.connect() as conn:
            bot_rows = (await conn.execute(
                select(messages_table).where(messages_table.c.sender == Sender.BOT.value)
                .order_by(messages_table.c.id.desc()).limit(scan))).all()
            pairs = []
            for bot in (_message(r) for r in bot_rows):
                if bot.data.get("outcome") != "unsure":
                    continue
                question = (await conn.execute(
                    select(messages_table).where(messages_table.c.conversation_id == bot.conversation_id)
                    .where(messages_table.c.seq < bot.seq).where(messages_table.c.sender == Sender.CUSTOMER.value)
                    .order_by(messages_table.c.seq.desc()).limit(1))).first()
                if question is not None:
                    pairs.append((_message(question), bot))
                if len(pairs) >= limit:
                    break
        return pairs


def _containing(text: str, sender: Sender | None = None):
    """The ids of conversations with a message containing `text` (case-insensitive)."""
    escaped = text.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    query = select(messages_table.c.conversation_id).where(
        func.lower(messages_table.c.text).like(f"%{escaped}%", escape="\\"))
    if sender is not None:
        query = query.where(messages_table.c.sender == sender.value)
    return query.distinct()


def _visitor_matches(visitor: dict[str, Any], needle: str) -> bool:
    needle = needle.strip().lower()
    return any(needle in str(visitor.get(key) or "").lower() for key in ("name", "email", "external_id"))


@dataclass
class AnswerStats:
    article_id: str
    answered: int = 0
    helpful: int = 0
    not_helpful: int = 0
    mean_score: float | None = None

    def to_json(self) -> dict[str, Any]:
        rated = self.helpful + self.not_helpful
        return {"article_id": self.article_id, "answered": self.answered, "helpful": self.helpful,
                "not_helpful": self.not_helpful, "helpful_rate": round(self.helpful / rated, 3) if rated else None,
                "mean_score": self.mean_score}


def _answer_stats(answers: list[Message]) -> list[AnswerStats]:
    by_article: dict[str, AnswerStats] = {}
    scores: dict[str, list[float]] = {}
    for message in answers:
        article_id = message.data["article_id"]
        stats = by_article.setdefault(article_id, AnswerStats(article_id))
        stats.answered += 1
        if message.data.get("helpful") is True:
            stats.helpful += 1
        elif message.data.get("helpful") is False:
            stats.not_helpful += 1
        if isinstance(message.data.get("score"), int | float):
            scores.setdefault(article_id, []).append(float(message.data["score"]))
    for article_id, values in scores.items():
        by_article[article_id].mean_score = round(sum(values) / len(values), 4)
    return sorted(by_article.values(), key=lambda s: (-s.not_helpful, -s.answered, s.article_id))


def _conversation(row) -> Conversation:
    return Conversation(
        id=row.id, token_hash=row.token_hash, created_at=row.created_at, last_seq=row.last_seq,
        language=row.language, script=row.script, page_url=row.page_url,
        needs_bot_resume=bool(row.needs_bot_resume), visitor=dict(row.visitor or {}), tags=tuple(row.tags or ()),
        contact=dict(row.contact or {}), last_activity_at=row.last_activity_at or row.created_at,
    )


def _message(row) -> Message:
    return Message(row.conversation_id, row.seq, Sender(row.sender), row.text, row.created_at,
                   dict(row.data or {}))



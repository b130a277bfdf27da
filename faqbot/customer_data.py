"""One customer's data on request (export, erase), and the retention period for everyone's.

A customer is found by a conversation id, or by the e-mail address or phone number they gave (kept
in the conversation's contact fields). Erasing a conversation deletes its transcript here and in Rasa's
tracker store and forgets what identifies the customer in its handoffs; the handoffs' states, times and
scores stay for the statistics. Conversations whose last message is older than the retention period
are erased the same way by a periodic sweep.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from faqbot.conversations import ConversationStore
from handoff import HandoffService
from storage import utcnow

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CustomerQuery:
    conversation_id: str | None = None
    email: str | None = None
    phone: str | None = None

    def is_empty(self) -> bool:
        return not (self.conversation_id or self.email or self.phone)


def _digits(value: str) -> str:
    return re.sub(r"\D", "", value)


def _same_phone(a: str, b: str) -> bool:
    """Equal national numbers, however written (+86 138-1234-5678 and 13812345678 match)."""
    x, y = _digits(a), _digits(b)
    return len(x) >= 7 and len(y) >= 7 and (x.endswith(y) or y.endswith(x))


class RasaTrackerStore:
    """Rasa's SQL tracker store (faqbot/rasa_stores.py: a SQLite file, or a PostgreSQL database shared by every
    Rasa instance): forgetting one conversation."""

    def __init__(self, location: Path | str) -> None:
        url = make_url(location if isinstance(location, str) else f"sqlite:///{location}")
        self._path = Path(url.database or "") if url.get_backend_name() == "sqlite" else None
        self._url = url

    def _delete(self, conversation_id: str) -> int:
        assert self._path is not None
        if not self._path.exists():
            return 0
        with sqlite3.connect(self._path, timeout=30) as conn:
            return conn.execute("DELETE FROM events WHERE sender_id = ?", (conversation_id,)).rowcount

    async def _delete_sql(self, conversation_id: str) -> int:
        engine = create_async_engine(self._url.set(drivername="postgresql+asyncpg"), poolclass=NullPool)
        try:
            async with engine.begin() as conn:
                exists = await conn.scalar(text("SELECT to_regclass('events') IS NOT NULL"))
                if not exists:  # Rasa has not started on this database yet: nothing to forget
                    return 0
                result = await conn.execute(text("DELETE FROM events WHERE sender_id = :sender"),
                                            {"sender": conversation_id})
                return result.rowcount
        finally:
            await engine.dispose()

    async def forget(self, conversation_id: str) -> int:
        try:
            if self._path is None:
                return await self._delete_sql(conversation_id)
            return await anyio.to_thread.run_sync(self._delete, conversation_id)
        except (sqlite3.Error, SQLAlchemyError, OSError) as exc:
            log.error("could not delete a conversation from Rasa's tracker store: %s", exc)
            return 0


class CustomerData:
    def __init__(self, conversations: ConversationStore, handoffs: HandoffService,
                 trackers: RasaTrackerStore | None, retention_days: float) -> None:
        self._conversations = conversations
        self._handoffs = handoffs
        self._trackers = trackers
        self._retention = dt.timedelta(days=retention_days) if retention_days > 0 else None

    async def find(self, query: CustomerQuery) -> list[str]:
        """The conversations of the customer `query` names, oldest first."""
        found: list[str] = []
        if query.conversation_id and await self._conversations.exists(query.conversation_id):
            found.append(query.conversation_id)
        if query.email or query.phone:
            for conversation in await self._conversations.with_contact():
                email = conversation.contact.get("email") or str(conversation.visitor.get("email") or "")
                phone = conversation.contact.get("phone", "")
                if (query.email and email.strip().lower() == query.email.strip().lower()) or \
                        (query.phone and phone and _same_phone(phone, query.phone)):
                    found.append(conversation.id)
        return list(dict.fromkeys(found))

    async def export(self, conversation_ids: list[str]) -> dict[str, Any]:
        """Everything kept about these conversations, as JSON."""
        exported = []
        for conversation_id in conversation_ids:
            conversation = await self._conversations.get(conversation_id)
            handoffs, events = await self._handoffs.history(conversation_id)
            exported.append({
                "conversation_id": conversation.id, "started_at": conversation.created_at.isoformat(),
                "last_activity_at": conversation.last_activity_at.isoformat() if conversation.last_activity_at
                else None,
                "language": conversation.language, "page_url": conversation.page_url,
                "contact": conversation.contact, "visitor": conversation.visitor, "tags": list(conversation.tags),
                "messages": [m.to_json() for m in await self._conversations.messages(conversation_id, limit=100_000)],
                "handoffs": [{"id": h.id, "status": h.status.value, "reason": h.reason.value,
                              "created_at": h.created_at.isoformat(), "contact": h.contact, "note": h.note,
                              "rating": h.rating.score if h.rating else None,
                              "rating_comment": h.rating.comment if h.rating else None} for h in handoffs],
                "handoff_events": [{**e.to_json(), "handoff_id": e.handoff_id} for e in events],
            })
        return {"exported_at": utcnow().isoformat(), "conversations": exported}

    async def erase(self, conversation_id: str) -> None:
        await self._conversations.erase(conversation_id)
        await self._handoffs.anonymise(conversation_id)
        if self._trackers is not None:
            await self._trackers.forget(conversation_id)
        log.info("erased conversation %s", conversation_id)

    async def apply_retention(self, now: dt.datetime | None = None) -> int:
        """Erase every conversation quiet for longer than the retention period; how many were erased."""
        if self._retention is None:
            return 0
        cutoff = (now or utcnow()) - self._retention
        erased = 0
        while batch := await self._conversations.inactive_before(cutoff):
            for conversation_id in batch:
                await self.erase(conversation_id)
            erased += len(batch)
        if erased:
            log.info("retention: erased %d conversations quiet since before %s", erased, cutoff.isoformat())
        return erased

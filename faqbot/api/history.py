"""Agents' view of conversations beyond the live queue: search past ones, read them, internal notes and tags."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Query
from pydantic import Field

from faqbot.api.deps import ConversationAgent, ServicesDep, TranscriptReader
from faqbot.api.models import RequestModel
from faqbot.conversations import AGENTS_ONLY, Conversation, Sender
from faqbot.errors import InvalidMessage

router = APIRouter(prefix="/api/agent/conversations", tags=["agent"])

MAX_TAGS = 20


class NoteRequest(RequestModel):
    text: str = Field(description="an internal note: agents see it in the transcript, the customer never does")


class TagsRequest(RequestModel):
    tags: list[str] = Field(max_length=MAX_TAGS)


def conversation_json(conversation: Conversation, summary: str | None = None) -> dict[str, Any]:
    return {"id": conversation.id, "created_at": conversation.created_at.isoformat(),
            "language": conversation.language, "page_url": conversation.page_url, "visitor": conversation.visitor,
            "tags": list(conversation.tags), "messages": conversation.last_seq, "summary": summary}


def _day(value: str | None, field: str) -> dt.datetime | None:
    if not value:
        return None
    try:
        return dt.datetime.fromisoformat(value).replace(tzinfo=dt.UTC) if len(value) == 10 else \
            dt.datetime.fromisoformat(value)
    except ValueError as exc:
        raise InvalidMessage(f"{field} must be a date like 2026-12-01", code="invalid_date") from exc


@router.get("")
async def search(agent: TranscriptReader, services: ServicesDep,
                 text: str | None = Query(default=None, max_length=200),
                 customer: str | None = Query(default=None, max_length=200),
                 tag: str | None = Query(default=None, max_length=40),
                 date_from: str | None = Query(default=None, alias="from", description="first day, YYYY-MM-DD"),
                 date_to: str | None = Query(default=None, alias="to", description="last day, YYYY-MM-DD"),
                 limit: int = Query(default=50, ge=1, le=200)) -> dict[str, Any]:
    """Past and current conversations, newest first, by text, customer, tag and the days they started."""
    until = _day(date_to, "to")
    found = await services.core.conversations.search(
        text=text, customer=customer, tag=tag, since=_day(date_from, "from"),
        until=until + dt.timedelta(days=1) if until else None, limit=limit)
    firsts = await services.core.conversations.customer_messages([c.id for c in found])
    return {"conversations": [
        conversation_json(c, next((m.text for m in firsts[c.id] if not m.data.get("payload")), None))
        for c in found]}


@router.get("/{conversation_id}")
async def read(conversation_id: str, agent: TranscriptReader, services: ServicesDep) -> dict[str, Any]:
    """A conversation as it was: every message (internal notes too) and who handled it when."""
    conversation = await services.core.conversations.get(conversation_id)
    handoffs, _ = await services.core.handoffs.history(conversation_id)
    return {"conversation": conversation_json(conversation),
            "transcript": [m.to_json() for m in await services.chat.history(conversation_id)],
            "handoffs": [v.to_json() for v in await services.desk.views(handoffs)],
            "history": await services.desk.history(conversation_id)}


@router.post("/{conversation_id}/notes", status_code=201)
async def add_note(conversation_id: str, body: NoteRequest, agent: ConversationAgent, services: ServicesDep
                   ) -> dict[str, Any]:
    await services.core.conversations.get(conversation_id)
    note = await services.desk.messenger.append(
        conversation_id, Sender.AGENT, services.chat.validate_text(body.text),
        {"note": True, "audience": AGENTS_ONLY, "agent": agent.display_name, "agent_id": agent.id}, to_agents=True)
    return {"message": note.to_json()}


@router.put("/{conversation_id}/tags")
async def set_tags(conversation_id: str, body: TagsRequest, agent: ConversationAgent, services: ServicesDep
                   ) -> dict[str, Any]:
    tags = sorted({t.strip().lower() for t in body.tags if t.strip()})
    if any(len(t) > 40 for t in tags):
        raise InvalidMessage("a tag is at most 40 characters", code="invalid_tag")
    await services.core.conversations.get(conversation_id)
    await services.core.conversations.update(conversation_id, tags=tags)
    services.desk.messenger.to_agents({"type": "tags", "conversation_id": conversation_id, "tags": tags})
    return {"tags": tags}

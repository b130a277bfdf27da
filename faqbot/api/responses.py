"""Response bodies several routes share: messages, handoffs, accounts, articles (as their `to_json` writes them).

Routes return the dicts of `to_json`; FastAPI checks them against these models and the OpenAPI document
shows them. Free-form parts (a message's `data`, a handoff's `details`) stay objects.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from faqbot.agents import Presence
from faqbot.conversations import Sender
from handoff import HandoffPriority, HandoffReason, HandoffStatus
from knowledge_base.article import ArticleStatus

Timestamp = Annotated[str, Field(description="ISO 8601 with its UTC offset", json_schema_extra={"format": "date-time"})]
Language = Literal["en", "zh"]
Role = Literal["agent", "editor", "supervisor", "admin"]


class MessageOut(BaseModel):
    """A message of a conversation; `seq` orders them (1, 2, 3 …)."""

    conversation_id: str
    seq: int = Field(ge=1)
    sender: Sender
    text: str
    created_at: Timestamp
    data: dict[str, Any] = Field(description="buttons, the answer's article and score, event keys, note flags …")


class MessagesOut(BaseModel):
    messages: list[MessageOut]


class MessageResult(BaseModel):
    message: MessageOut


class QueueOut(BaseModel):
    position: int = Field(ge=1)
    waiting: int = Field(ge=0)
    eta_seconds: int | None = Field(description="expected wait; null when there is no history to go by")
    agents_online: int = Field(ge=0)


class RatingOut(BaseModel):
    score: int = Field(ge=1, le=5)
    comment: str | None
    at: Timestamp


class HandoffOut(BaseModel):
    """A handoff as the console shows it."""

    id: str
    conversation_id: str
    status: HandoffStatus
    reason: HandoffReason
    priority: HandoffPriority
    category: str | None
    language: str | None
    created_at: Timestamp
    assigned_at: Timestamp | None
    first_reply_at: Timestamp | None
    resolved_at: Timestamp | None
    agent_id: str | None
    agent_name: str | None
    summary: str
    details: dict[str, Any]
    page_url: str | None
    customer: dict[str, Any] = Field(description="who the shop says the customer is, and their contact")
    contact: dict[str, str] = Field(description="what an offline ticket's customer left (e-mail, phone, name)")
    note: str | None
    waited_seconds: float
    breached: bool = Field(description="waited longer than the first-reply target")
    queue_position: int | None
    rating: RatingOut | None


class HandoffResult(BaseModel):
    handoff: HandoffOut


class HandoffEventOut(BaseModel):
    """One line of a conversation's handoff history."""

    kind: str
    at: Timestamp
    agent_id: str | None
    agent_name: str | None = None
    handoff_id: str
    detail: dict[str, Any]


class AgentOut(BaseModel):
    """An account (no secrets)."""

    id: str
    username: str
    display_name: str
    role: Role = Field(description="the highest of `roles`")
    roles: list[Role]
    skills: list[str]
    languages: list[str]
    max_concurrent: int
    auto_assign: bool
    presence: Presence
    presence_since: Timestamp | None


class AgentResult(BaseModel):
    agent: AgentOut


class ConversationOut(BaseModel):
    """A conversation as agents search and read it."""

    id: str
    created_at: Timestamp
    language: str | None
    page_url: str | None
    visitor: dict[str, Any]
    tags: list[str]
    messages: int = Field(ge=0, description="how many messages it has")
    summary: str | None = Field(description="the customer's first question (in search results)")


class ArticleOut(BaseModel):
    id: str
    group: str
    language: str
    title: str
    questions: list[str]
    answer: str = Field(description="Markdown")
    category: str
    tags: list[str]
    status: ArticleStatus
    version: int = Field(ge=1)
    author: str | None
    updated_at: Timestamp | None


class ArticleResult(BaseModel):
    article: ArticleOut

"""A conversation and its messages."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

AGENTS_ONLY = "agents"  # data["audience"] of a message only agents see


class Sender(StrEnum):
    CUSTOMER = "customer"
    BOT = "bot"
    AGENT = "agent"
    SYSTEM = "system"


@dataclass(frozen=True)
class Message:
    conversation_id: str
    seq: int
    sender: Sender
    text: str
    created_at: dt.datetime
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def agents_only(self) -> bool:
        """Internal notes and events about the customer ("left the chat") that the customer never sees."""
        return self.data.get("audience") == AGENTS_ONLY

    def to_json(self) -> dict[str, Any]:
        return {
            "conversation_id": self.conversation_id,
            "seq": self.seq,
            "sender": self.sender.value,
            "text": self.text,
            "created_at": self.created_at.isoformat(),
            "data": self.data,
        }


@dataclass(frozen=True)
class Conversation:
    id: str
    token_hash: str
    created_at: dt.datetime
    last_seq: int
    language: str | None = None
    page_url: str | None = None
    script: str | None = None  # "hans" / "hant": the Chinese script the customer writes in
    needs_bot_resume: bool = False
    contact: dict[str, str] = field(default_factory=dict)  # e-mail / phone the customer gave (not in the text)
    last_activity_at: dt.datetime | None = None
    visitor: dict[str, Any] = field(default_factory=dict)  # who the shop says the customer is (see identity.py)
    tags: tuple[str, ...] = ()  # set by agents


def for_customer(messages: list[Message]) -> list[Message]:
    """What the customer may see of `messages`."""
    return [m for m in messages if not m.agents_only]

"""A conversation and its messages."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


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

"""What conversations say about the knowledge base: the customer questions the bot failed, and how each
article did as an answer. Pure functions over stored messages and handoffs, plus one reader for a period.

A customer *question* is a typed message (not a button press) the bot answered with an outcome of its own
(answer, did-you-mean, not sure). It *failed* when the bot
- said it was not sure (`unsure`);
- offered "did you mean" and the customer picked none of the choices in their next turn (`clarify_ignored`);
- answered, and the answer was rejected: 👎, "that's not what I asked", a next-best offer (`rejected`);
- handed off for low confidence within two customer turns (`handoff_low_confidence`).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from faqbot.conversations.models import Message, Sender
from faqbot.conversations.store import _message, messages_table

QUESTION_OUTCOMES = ("answer", "clarify", "unsure")
REJECTING_OUTCOMES = ("rejected", "rephrase")
FAILURE_KINDS = ("unsure", "clarify_ignored", "rejected", "handoff_low_confidence")
HANDOFF_TURNS = 2  # a handoff counts against the last answer if it comes within this many customer turns


@dataclass(frozen=True)
class HandoffStart:
    conversation_id: str
    reason: str
    created_at: dt.datetime


@dataclass
class FailedQuestion:
    conversation_id: str
    seq: int
    text: str
    language: str | None
    asked_at: dt.datetime
    kinds: set[str] = field(default_factory=set)
    tried: list[str] = field(default_factory=list)  # article ids the bot offered for it

    @property
    def key(self) -> str:
        return f"{self.conversation_id}:{self.seq}"


@dataclass
class ArticleQuality:
    article_id: str
    answered: int = 0
    helpful: int = 0
    not_helpful: int = 0
    rejections: int = 0
    handoffs: int = 0
    picks: int = 0  # chosen from "did you mean"

    @property
    def badness(self) -> float:
        """Share of the article's answers that went wrong (👎, rejected or followed by a handoff)."""
        bad = self.not_helpful + self.rejections + self.handoffs
        return bad / max(1, self.answered)

    def to_json(self) -> dict[str, Any]:
        rated = self.helpful + self.not_helpful
        return {"article_id": self.article_id, "answered": self.answered, "helpful": self.helpful,
                "not_helpful": self.not_helpful, "rejections": self.rejections, "handoffs": self.handoffs,
                "picks": self.picks, "helpful_share": round(self.helpful / rated, 3) if rated else None,
                "badness": round(self.badness, 3)}


def _turns(messages: Sequence[Message]) -> list[tuple[Message, list[Message]]]:
    """(customer message, the bot and system messages after it until the next customer message)."""
    turns: list[tuple[Message, list[Message]]] = []
    for message in messages:
        if message.sender is Sender.CUSTOMER:
            turns.append((message, []))
        elif turns:
            turns[-1][1].append(message)
    return turns


def _outcome(replies: Sequence[Message]) -> Message | None:
    return next((m for m in replies if m.sender is Sender.BOT and m.data.get("outcome")), None)


def _handoff_in(replies: Sequence[Message], handoffs: Sequence[HandoffStart], start: dt.datetime,
                end: dt.datetime | None) -> str | None:
    """The reason of a handoff started by these replies (a system event, or a handoff row in the time span)."""
    for m in replies:
        if m.sender is Sender.SYSTEM and m.data.get("event") == "handoff":
            return str(m.data.get("reason"))
    for h in handoffs:
        if h.created_at >= start and (end is None or h.created_at < end):
            return h.reason
    return None


def analyse(messages: Sequence[Message], handoffs: Sequence[HandoffStart] = ()
            ) -> tuple[list[FailedQuestion], dict[str, ArticleQuality]]:
    """One conversation's messages (in order) → its failed questions and its per-article tallies."""
    failed: dict[int, FailedQuestion] = {}
    quality: dict[str, ArticleQuality] = {}
    turns = _turns(messages)
    last_question: FailedQuestion | None = None  # the question the next turns are about
    last_answer: tuple[str, int] | None = None  # (article id, turn index) of the latest answer
    rejected: set[str] = set()  # answers already counted as rejected since they were given

    def fail(question: FailedQuestion | None, kind: str, tried: Iterable[str | None]) -> None:
        if question is None:
            return
        entry = failed.setdefault(question.seq, question)
        entry.kinds.add(kind)
        for article_id in tried:
            if article_id and article_id not in entry.tried:
                entry.tried.append(article_id)

    for index, (customer, replies) in enumerate(turns):
        bot = _outcome(replies)
        outcome = bot.data.get("outcome") if bot else None
        typed = not customer.data.get("payload")
        end = turns[index + 1][0].created_at if index + 1 < len(turns) else None
        handoff_reason = _handoff_in(replies, handoffs, customer.created_at, end)
        if typed and outcome in QUESTION_OUTCOMES and not bot.data.get("chosen_by_customer") \
                and not bot.data.get("next_best"):
            last_question = FailedQuestion(customer.conversation_id, customer.seq, customer.text,
                                           customer.data.get("language"), customer.created_at)
        rejecting = outcome in REJECTING_OUTCOMES or (outcome == "answer" and bool(bot.data.get("next_best")))
        if rejecting and last_answer is not None and index - last_answer[1] <= HANDOFF_TURNS \
                and last_answer[0] not in rejected:
            rejected.add(last_answer[0])
            if typed:  # "that's not what I asked" (a 👎 press is counted as 👎 on the answer itself)
                quality[last_answer[0]].rejections += 1
            fail(last_question, "rejected", [last_answer[0]])
        if bot is not None and outcome == "answer" and bot.data.get("article_id"):
            article_id = str(bot.data["article_id"])
            stats = quality.setdefault(article_id, ArticleQuality(article_id))
            stats.answered += 1
            if bot.data.get("chosen_by_customer"):
                stats.picks += 1
            if bot.data.get("helpful") is True:
                stats.helpful += 1
            elif bot.data.get("helpful") is False:
                stats.not_helpful += 1
                fail(last_question, "rejected", [article_id])
            last_answer = (article_id, index)
            rejected.discard(article_id)
        if outcome == "unsure":
            fail(last_question, "unsure", [bot.data.get("best_guess")])
        if outcome == "clarify":
            following = turns[index + 1][0] if index + 1 < len(turns) else None
            picked = following is not None and "article_id" in str(following.data.get("payload") or "")
            if not picked:
                fail(last_question, "clarify_ignored", bot.data.get("choices") or [])
        if handoff_reason is not None:
            if last_answer is not None and index - last_answer[1] <= HANDOFF_TURNS:
                quality[last_answer[0]].handoffs += 1
            if handoff_reason == "low_confidence":
                fail(last_question, "handoff_low_confidence", [])
    return sorted(failed.values(), key=lambda q: q.asked_at), quality


def by_conversation(messages: Iterable[Message]) -> dict[str, list[Message]]:
    grouped: dict[str, list[Message]] = defaultdict(list)
    for m in messages:
        grouped[m.conversation_id].append(m)
    for items in grouped.values():
        items.sort(key=lambda m: m.seq)
    return grouped


def analyse_all(messages: Iterable[Message], handoffs: Iterable[HandoffStart] = ()
                ) -> tuple[list[FailedQuestion], list[ArticleQuality]]:
    handoffs_of: dict[str, list[HandoffStart]] = defaultdict(list)
    for h in handoffs:
        handoffs_of[h.conversation_id].append(h)
    failed: list[FailedQuestion] = []
    totals: dict[str, ArticleQuality] = {}
    for conversation_id, items in by_conversation(messages).items():
        questions, quality = analyse(items, handoffs_of.get(conversation_id, ()))
        failed.extend(questions)
        for article_id, stats in quality.items():
            total = totals.setdefault(article_id, ArticleQuality(article_id))
            for name in ("answered", "helpful", "not_helpful", "rejections", "handoffs", "picks"):
                setattr(total, name, getattr(total, name) + getattr(stats, name))
    failed.sort(key=lambda q: q.asked_at)
    return failed, list(totals.values())


class ConversationSignals:
    """Reads a period's messages and handoff starts (bounded) and analyses them."""

    def __init__(self, engine: AsyncEngine, max_messages: int = 200_000) -> None:
        self._engine = engine
        self._max = max_messages

    async def read(self, since: dt.datetime | None, until: dt.datetime | None
                   ) -> tuple[list[FailedQuestion], list[ArticleQuality]]:
        from handoff.store import handoffs_table

        query = select(messages_table).order_by(messages_table.c.id.desc()).limit(self._max)
        hq = select(handoffs_table.c.conversation_id, handoffs_table.c.reason, handoffs_table.c.created_at)
        if since is not None:
            query = query.where(messages_table.c.created_at >= since)
            hq = hq.where(handoffs_table.c.created_at >= since)
        if until is not None:
            query = query.where(messages_table.c.created_at < until)
            hq = hq.where(handoffs_table.c.created_at < until)
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
            handoff_rows = (await conn.execute(hq)).all()
        messages = [_message(r) for r in rows]
        handoffs = [HandoffStart(r.conversation_id, r.reason, r.created_at) for r in handoff_rows]
        return analyse_all(messages, handoffs)

"""A scripted, deterministic day of conversations written through the stores, and the figures it should give,
worked out from the script itself (not from faqbot.analytics) so that tests compare two independent counts.

The stores take the time from `storage.utcnow` as imported in their modules; `ScriptedClock` replaces it
while the day is written, so every message and handoff event carries the script's time.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine

import faqbot.conversations.store as conversation_store_module
import handoff.store as handoff_store_module
from faqbot.conversations import ConversationStore, Sender
from handoff import HandoffReason, HandoffStatus, HandoffStore
from handoff.models import HandoffEventKind

CATEGORIES = ("refunds", "shipping", "account")
REASONS = (HandoffReason.CUSTOMER_REQUEST, HandoffReason.LOW_CONFIDENCE, HandoffReason.FRUSTRATED,
           HandoffReason.BOT_UNAVAILABLE)


class ScriptedClock:
    def __init__(self, start: dt.datetime) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now

    @contextlib.contextmanager
    def installed(self) -> Iterator[ScriptedClock]:
        saved = conversation_store_module.utcnow, handoff_store_module.utcnow
        conversation_store_module.utcnow = handoff_store_module.utcnow = self
        try:
            yield self
        finally:
            conversation_store_module.utcnow, handoff_store_module.utcnow = saved


@dataclass
class Plan:
    """One conversation of the day, as planned."""

    language: str
    category: str
    start: dt.datetime
    answers: list[bool | None] = field(default_factory=list)  # each answer's verdict: 👍 True, 👎 False, none
    unsure: int = 0
    clarify: int = 0
    rephrase_after_last: bool = False  # "that's not what I asked" -> the bot asks to rephrase
    handoff: HandoffReason | None = None
    path: str | None = None  # resolved, abandoned, ticket
    agent: int | None = None
    wait_s: float | None = None
    first_reply_s: float | None = None
    resolution_s: float | None = None
    abandon_s: float | None = None
    rating: int | None = None


def plan_day(day: dt.date, count: int = 60, seed: int = 11) -> list[Plan]:
    rng = random.Random(seed)
    plans = []
    for i in range(count):
        start = (dt.datetime.combine(day, dt.time(6, 0), dt.UTC)
                 + dt.timedelta(minutes=12 * i, seconds=rng.randint(0, 50)))
        plan = Plan(language="zh" if i % 3 == 0 else "en", category=CATEGORIES[i % len(CATEGORIES)], start=start)
        kind = i % 6
        if kind in (0, 1):  # answered, maybe rated
            plan.answers = [rng.choice([True, None, False])]
            if rng.random() < 0.3:
                plan.answers.append(rng.choice([True, None]))
        elif kind == 2:  # answered, then "that's not what I asked"
            plan.answers = [False]
            plan.rephrase_after_last = True
        elif kind == 3:
            plan.unsure = 1
            plan.clarify = rng.randint(0, 1)
        if kind in (4, 5) or (kind == 3 and rng.random() < 0.5):
            if kind == 5:
                plan.answers = [rng.choice([False, None])]
            plan.handoff = REASONS[i % len(REASONS)]
            roll = rng.random()
            if roll < 0.6:
                plan.path, plan.agent = "resolved", i % 3
                plan.wait_s = float(rng.randint(5, 300))
                plan.first_reply_s = plan.wait_s + rng.randint(3, 120)
                plan.resolution_s = plan.first_reply_s + rng.randint(60, 1500)
                plan.rating = rng.choice([None, 1, 3, 4, 5, 5])
            elif roll < 0.8:
                plan.path, plan.abandon_s = "abandoned", float(rng.randint(20, 400))
            else:
                plan.path = "ticket"
        plans.append(plan)
    return plans


async def write_day(engine: AsyncEngine, plans: list[Plan], agent_ids: list[str]) -> list[str]:
    """Write the planned conversations through the stores; also one visit with nothing said (not counted)."""
    conversations, handoffs = ConversationStore(engine), HandoffStore(engine)
    clock = ScriptedClock(plans[0].start)
    ids = []
    with clock.installed():
        clock.now = plans[0].start - dt.timedelta(minutes=5)
        await conversations.create(uuid.uuid4().hex, "h", page_url=None, language="en")  # opened, said nothing
        for plan in plans:
            cid = uuid.uuid4().hex
            ids.append(cid)
            clock.now = plan.start
            await conversations.create(cid, "h", page_url=None, language=plan.language)
            article = f"{plan.category}-{plan.language}"
            for verdict in plan.answers:
                await conversations.append(cid, Sender.CUSTOMER, "a question", {"language": plan.language})
                [answer] = await conversations.record(cid, [(Sender.BOT, "an answer", {
                    "outcome": "answer", "article_id": article, "category": plan.category, "asks_feedback": True})])
                clock.now += dt.timedelta(seconds=20)
                if verdict is not None:
                    payload = "/affirm" if verdict else "/deny"
                    pressed = (Sender.CUSTOMER, "👍" if verdict else "👎", {"payload": payload})
                await conversations.record(cid, [pressed], {answer.seq: {"helpful": verdict}})
            if plan.rephrase_after_last:
                await conversations.record(cid, [(Sender.CUSTOMER, "that's not what I asked", {}),
                                                 (Sender.BOT, "please rephrase", {"outcome": "rephrase"})])
            for _ in range(plan.clarify):
                await conversations.record(cid, [(Sender.CUSTOMER, "hmm", {}),
                                                 (Sender.BOT, "did you mean", {"outcome": "clarify"})])
            for _ in range(plan.unsure):
                await conversations.record(cid, [(Sender.CUSTOMER, "gibberish", {}),
                                                 (Sender.BOT, "not sure", {"outcome": "unsure"})])
            if plan.handoff is None:
                if not (plan.answers or plan.unsure or plan.clarify):
                    await conversations.append(cid, Sender.CUSTOMER, "hello", {})
                continue
            clock.now += dt.timedelta(seconds=10)
            await conversations.append(cid, Sender.CUSTOMER, "a person please", {})
            opened = clock.now
            handoff, _ = await handoffs.create_unless_open(cid, plan.handoff, plan.language, {},
                                                           category=plan.category)
            if plan.path == "resolved":
                agent = agent_ids[plan.agent]
                clock.now = opened + dt.timedelta(seconds=plan.wait_s)
                await handoffs.transition(handoff.id, [HandoffStatus.QUEUED], HandoffStatus.ASSIGNED,
                                          HandoffEventKind.ASSIGNED, agent_id=agent, detail={"how": "claimed"})
                clock.now = opened + dt.timedelta(seconds=plan.first_reply_s)
                await conversations.append(cid, Sender.AGENT, "hi, I am here", {"agent_id": agent})
                await handoffs.mark_first_reply(handoff.id, agent)
                clock.now = opened + dt.timedelta(seconds=plan.resolution_s)
                await handoffs.transition(handoff.id, [HandoffStatus.ASSIGNED], HandoffStatus.RESOLVED,
                                          HandoffEventKind.RESOLVED, require_agent=agent)
                if plan.rating is not None:
                    clock.now += dt.timedelta(seconds=30)
                    await handoffs.rate(handoff.id, plan.rating, None)
            elif plan.path == "abandoned":
                clock.now = opened + dt.timedelta(seconds=plan.abandon_s)
                await handoffs.transition(handoff.id, [HandoffStatus.QUEUED], HandoffStatus.ABANDONED,
                                          HandoffEventKind.ABANDONED)
            else:
                clock.now = opened + dt.timedelta(seconds=40)
                await handoffs.transition(handoff.id, [HandoffStatus.QUEUED], HandoffStatus.TICKET,
                                          HandoffEventKind.TICKET, values={"contact": {}})
    return ids


def nearest_rank(values: list[float], p: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    k = -(-len(ordered) * p // 100)
    return ordered[int(max(k, 1)) - 1]


def expected_figures(plans: list[Plan], target_s: float) -> dict[str, float | int | None]:
    """The dashboard's figures for these plans, worked out from the plans."""
    n = len(plans)
    rate = lambda a, b: round(a / b, 4) if b else None  # noqa: E731
    automated = sum(1 for p in plans if p.answers and p.handoff is None and p.answers[-1] is not False
                    and not p.rephrase_after_last)
    handed = [p for p in plans if p.handoff is not None]
    verdicts = [v for p in plans for v in p.answers if v is not None]
    resolved = [p for p in handed if p.path == "resolved"]
    live = [p for p in handed if p.path != "ticket"]
    ratings = [p.rating for p in resolved if p.rating is not None]
    breached = sum(1 for p in live if (p.first_reply_s if p.path == "resolved" else p.abandon_s) > target_s)
    return {
        "conversations": n,
        "automated_rate": rate(automated, n),
        "handoff_rate": rate(len(handed), n),
        "helpful_share": rate(sum(verdicts), len(verdicts)),
        "csat_average": round(sum(ratings) / len(ratings), 3) if ratings else None,
        "csat_response_rate": rate(len(ratings), len(resolved)),
        "first_reply_p50": nearest_rank([p.first_reply_s for p in resolved], 50),
        "first_reply_p90": nearest_rank([p.first_reply_s for p in resolved], 90),
        "wait_p50": nearest_rank([p.wait_s for p in resolved], 50),
        "wait_p90": nearest_rank([p.wait_s for p in resolved], 90),
        "resolution_p50": nearest_rank([p.resolution_s for p in resolved], 50),
        "resolution_p90": nearest_rank([p.resolution_s for p in resolved], 90),
        "sla_breach_rate": rate(breached, len(live)),
        "offline_tickets": sum(1 for p in handed if p.path == "ticket"),
        "abandoned_waits": sum(1 for p in handed if p.path == "abandoned"),
    }


def expected_reasons(plans: list[Plan]) -> dict[str, int]:
    return {r.value: sum(1 for p in plans if p.handoff is r) for r in REASONS}


def expected_agents(plans: list[Plan], agent_ids: list[str]) -> dict[str, dict]:
    rows = {}
    for index, agent_id in enumerate(agent_ids):
        mine = [p for p in plans if p.path == "resolved" and p.agent == index]
        ratings = [p.rating for p in mine if p.rating is not None]
        rows[agent_id] = {"handled": len(mine), "first_reply_p50": nearest_rank([p.first_reply_s for p in mine], 50),
                          "resolution_p50": nearest_rank([p.resolution_s for p in mine], 50),
                          "csat_average": round(sum(ratings) / len(ratings), 3) if ratings else None}
    return rows


def category_of(plan: Plan) -> str:
    """The bot's first answer's category, else the handoff's; '' for neither."""
    return plan.category if plan.answers or plan.handoff is not None else ""


def expected_categories(plans: list[Plan]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for plan in plans:
        counts[category_of(plan)] = counts.get(category_of(plan), 0) + 1
    return counts

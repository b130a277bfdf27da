"""The dashboard's figures for a period (and optionally a language or a category), read from the roll-ups.

Two grouped queries over `analytics_conversations` (by day and first-handoff reason; by category) and one
read of the period's `analytics_handoffs` rows; percentiles and the per-agent table are computed from those.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from faqbot.analytics.facts import OUTCOME_COLUMNS, percentile
from faqbot.analytics.rollup import Rollup
from faqbot.analytics.tables import daily_totals as facts
from faqbot.analytics.tables import handoff_facts as handoff_rows
from faqbot.analytics.targets import METRICS, Target, TargetStore
from handoff.models import HandoffReason
from knowledge_base.article import LANGUAGES
from storage import utcnow

MAX_DAYS = 366
EARLIEST = dt.date(2000, 1, 1)
UNCATEGORISED = ""  # the category filter's value for conversations without one


class InvalidFilter(Exception):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Filters:
    start: dt.date
    end: dt.date  # inclusive
    language: str | None = None
    category: str | None = None

    @property
    def days(self) -> list[str]:
        return [(self.start + dt.timedelta(days=i)).isoformat() for i in range((self.end - self.start).days + 1)]

    def check(self, known_categories: Iterable[str], today: dt.date) -> None:
        if self.end < self.start:
            raise InvalidFilter("end", f"the period ends ({self.end}) before it starts ({self.start})")
        if self.start < EARLIEST:
            raise InvalidFilter("start", f"must be {EARLIEST} or later")
        if self.end > today + dt.timedelta(days=1):
            raise InvalidFilter("end", f"must not be after tomorrow ({today + dt.timedelta(days=1)})")
        if (self.end - self.start).days + 1 > MAX_DAYS:
            raise InvalidFilter("end", f"a period covers at most {MAX_DAYS} days")
        if self.language is not None and self.language not in LANGUAGES:
            raise InvalidFilter("language", f"'{self.language}' is not one of {', '.join(LANGUAGES)}")
        if self.category is not None and self.category != UNCATEGORISED and self.category not in set(known_categories):
            raise InvalidFilter("category", f"no category called '{self.category}'")


@dataclass
class Figure:
    key: str
    value: float | None
    unit: str
    basis: int  # how many conversations / handoffs / answers it was computed over
    target: float | None = None
    warning: float | None = None
    status: str | None = None


@dataclass
class DayRow:
    day: str
    conversations: int
    automated_rate: float | None
    handoff_rate: float | None
    helpful_share: float | None
    csat_average: float | None
    first_reply_p50: float | None
    sla_breach_rate: float | None


@dataclass
class AgentRow:
    agent_id: str
    name: str
    handled: int
    first_reply_p50: float | None
    resolution_p50: float | None
    csat_average: float | None
    ratings: int


@dataclass
class CategoryRow:
    category: str
    conversations: int
    automated_rate: float | None
    handoff_rate: float | None
    helpful_share: float | None
    csat_average: float | None


@dataclass
class ReasonRow:
    reason: str
    handoffs: int
    rate: float | None


@dataclass
class AnalyticsReport:
    start: str
    end: str
    language: str | None
    category: str | None
    first_reply_target_seconds: float
    figures: list[Figure]
    handoff_reasons: list[ReasonRow]
    outcomes: dict[str, int]
    daily: list[DayRow]
    agents: list[AgentRow]
    categories: list[CategoryRow]
    languages: list[str] = field(default_factory=list)
    known_categories: list[str] = field(default_factory=list)
    generated_at: str = ""


def _rate(part: float, whole: float) -> float | None:
    return round(part / whole, 4) if whole else None


def _mean(values: Sequence[float]) -> float | None:
    return round(sum(values) / len(values), 3) if values else None


_SUMS = ("customer_messages", *OUTCOME_COLUMNS.values(), "helpful", "not_helpful")


class ReportBuilder:
    def __init__(self, engine: AsyncEngine, rollup: Rollup, targets: TargetStore,
                 agent_names: Callable[[], Awaitable[dict[str, str]]],
                 kb_categories: Callable[[], Awaitable[set[str]]], first_reply_target_s: float) -> None:
        self._engine = engine
        self._rollup = rollup
        self._targets = targets
        self._agent_names = agent_names
        self._kb_categories = kb_categories
        self._target_s = first_reply_target_s

    async def categories(self) -> list[str]:
        """Categories a filter may name: the knowledge base's, and any the roll-ups have seen."""
        async with self._engine.connect() as conn:
            seen = set((await conn.execute(select(facts.c.category).distinct()
                                           .where(facts.c.category.is_not(None)))).scalars())
        return sorted(seen | await self._kb_categories())

    async def report(self, filters: Filters) -> AnalyticsReport:
        known = await self.categories()
        filters.check(known, utcnow().date())
        await self._rollup.refresh()
        conditions = [facts.c.day >= filters.start.isoformat(), facts.c.day <= filters.end.isoformat()]
        handoff_conditions = [handoff_rows.c.day >= filters.start.isoformat(),
                              handoff_rows.c.day <= filters.end.isoformat()]
        for column_name, value in (("language", filters.language), ("category", filters.category)):
            if value is not None:
                column, handoff_column = facts.c[column_name], handoff_rows.c[column_name]
                if value == UNCATEGORISED:
                    conditions.append(column.is_(None))
                    handoff_conditions.append(handoff_column.is_(None))
                else:
                    conditions.append(column == value)
                    handoff_conditions.append(handoff_column == value)
        sums = [func.coalesce(func.sum(facts.c[name]), 0).label(name)
                for name in ("conversations", "automated", *_SUMS)]
        async with self._engine.connect() as conn:
            by_day = (await conn.execute(
                select(facts.c.day, facts.c.handoff_reason, *sums)
                .where(and_(*conditions)).group_by(facts.c.day, facts.c.handoff_reason))).all()
            by_category = (await conn.execute(
                select(facts.c.category, *(func.coalesce(func.sum(facts.c[n]), 0).label(n)
                                           for n in ("conversations", "automated", "helpful", "not_helpful")),
                       func.coalesce(func.sum(case((facts.c.handoff_reason.is_not(None), facts.c.conversations),
                                                   else_=0)), 0).label("handed_off"))
                .where(and_(*conditions)).group_by(facts.c.category))).all()
            handoffs = (await conn.execute(
                select(handoff_rows.c.day, handoff_rows.c.category, handoff_rows.c.status, handoff_rows.c.agent_id,
                       handoff_rows.c.first_reply_agent_id, handoff_rows.c.live, handoff_rows.c.wait_s,
                       handoff_rows.c.first_reply_s, handoff_rows.c.resolution_s, handoff_rows.c.breached,
                       handoff_rows.c.rating)
                .where(and_(*handoff_conditions)))).all()
        targets = await self._targets.all()
        names = await self._agent_names()
        return self._assemble(filters, by_day, by_category, handoffs, targets, names, known)

    def _assemble(self, filters: Filters, by_day, by_category, handoffs, targets: dict[str, Target],
                  names: dict[str, str], known: list[str]) -> AnalyticsReport:
        total: dict[str, int] = defaultdict(int)
        per_day: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        reasons: dict[str, int] = defaultdict(int)
        for row in by_day:
            for name in ("conversations", "automated", *_SUMS):
                total[name] += int(getattr(row, name))
                per_day[row.day][name] += int(getattr(row, name))
            if row.handoff_reason is not None:
                reasons[row.handoff_reason] += int(row.conversations)
                per_day[row.day]["handed_off"] += int(row.conversations)
        conversations = total["conversations"]
        handed_off = sum(reasons.values())
        rated = total["helpful"] + total["not_helpful"]

        live = [h for h in handoffs if h.live]
        resolved = [h for h in handoffs if h.status == "resolved"]
        ratings = [h.rating for h in handoffs if h.rating is not None]
        first = [h.first_reply_s for h in live if h.first_reply_s is not None]
        wait = [h.wait_s for h in live if h.wait_s is not None]
        resolution = [h.resolution_s for h in resolved if h.resolution_s is not None]

        values: dict[str, tuple[float | None, int]] = {
            "conversations": (conversations, conversations),
            "automated_rate": (_rate(total["automated"], conversations), conversations),
            "handoff_rate": (_rate(handed_off, conversations), conversations),
            "helpful_share": (_rate(total["helpful"], rated), rated),
            "csat_average": (_mean(ratings), len(ratings)),
            "csat_response_rate": (_rate(len(ratings), len(resolved)), len(resolved)),
            "first_reply_p50": (percentile(first, 50), len(first)),
            "first_reply_p90": (percentile(first, 90), len(first)),
            "wait_p50": (percentile(wait, 50), len(wait)),
            "wait_p90": (percentile(wait, 90), len(wait)),
            "resolution_p50": (percentile(resolution, 50), len(resolution)),
            "resolution_p90": (percentile(resolution, 90), len(resolution)),
            "sla_breach_rate": (_rate(sum(1 for h in live if h.breached), len(live)), len(live)),
            "offline_tickets": (sum(1 for h in handoffs if not h.live), len(handoffs)),
            "abandoned_waits": (sum(1 for h in handoffs if h.status == "abandoned"), len(handoffs)),
        }
        figures = []
        for key, (value, basis) in values.items():
            figure = Figure(key, value, METRICS[key].unit, basis)
            if key in targets:
                t = targets[key]
                figure.target, figure.warning, figure.status = t.target, t.warning, t.status(value)
            figures.append(figure)

        handoffs_by_day: dict[str, list] = defaultdict(list)
        for h in handoffs:
            handoffs_by_day[h.day].append(h)
        daily = []
        for day in filters.days:
            d, hs = per_day.get(day, {}), handoffs_by_day.get(day, [])
            day_live = [h for h in hs if h.live]
            day_ratings = [h.rating for h in hs if h.rating is not None]
            daily.append(DayRow(
                day, d.get("conversations", 0), _rate(d.get("automated", 0), d.get("conversations", 0)),
                _rate(d.get("handed_off", 0), d.get("conversations", 0)),
                _rate(d.get("helpful", 0), d.get("helpful", 0) + d.get("not_helpful", 0)), _mean(day_ratings),
                percentile([h.first_reply_s for h in day_live if h.first_reply_s is not None], 50),
                _rate(sum(1 for h in day_live if h.breached), len(day_live))))

        return AnalyticsReport(
            start=filters.start.isoformat(), end=filters.end.isoformat(), language=filters.language,
            category=filters.category, first_reply_target_seconds=self._target_s, figures=figures,
            handoff_reasons=[ReasonRow(r.value, reasons.get(r.value, 0), _rate(reasons.get(r.value, 0), conversations))
                             for r in HandoffReason],
            outcomes={name: total[name] for name in OUTCOME_COLUMNS.values()},
            daily=daily, agents=_agents(handoffs, names), categories=_categories(by_category, handoffs),
            languages=list(LANGUAGES), known_categories=known, generated_at=utcnow().isoformat())


def _agents(handoffs, names: dict[str, str]) -> list[AgentRow]:
    handled: dict[str, list] = defaultdict(list)
    first: dict[str, list[float]] = defaultdict(list)
    for h in handoffs:
        if h.agent_id and h.status in ("resolved", "assigned"):
            handled[h.agent_id].append(h)
        if h.first_reply_agent_id and h.first_reply_s is not None:
            first[h.first_reply_agent_id].append(h.first_reply_s)
    rows = []
    for agent_id in sorted(set(handled) | set(first), key=lambda a: (names.get(a, a).lower(), a)):
        mine = handled.get(agent_id, [])
        ratings = [h.rating for h in mine if h.rating is not None]
        rows.append(AgentRow(
            agent_id, names.get(agent_id, agent_id), len(mine), percentile(first.get(agent_id, []), 50),
            percentile([h.resolution_s for h in mine if h.status == "resolved" and h.resolution_s is not None], 50),
            _mean(ratings), len(ratings)))
    return rows


def _categories(by_category, handoffs) -> list[CategoryRow]:
    ratings: dict[str, list[int]] = defaultdict(list)
    for h in handoffs:
        if h.rating is not None:
            ratings[h.category or UNCATEGORISED].append(h.rating)
    rows = []
    for row in sorted(by_category, key=lambda r: (-int(r.conversations), r.category or "")):
        name = row.category or UNCATEGORISED
        conversations = int(row.conversations)
        rows.append(CategoryRow(
            name, conversations, _rate(int(row.automated), conversations), _rate(int(row.handed_off), conversations),
            _rate(int(row.helpful), int(row.helpful) + int(row.not_helpful)), _mean(ratings.get(name, []))))
    return rows

"""The dashboard's figures for a period (and optionally a language or a category), read from the roll-ups.

Grouped queries over `analytics_daily` (by day and first-handoff reason; by category) and over the period's
`analytics_handoffs` (by day, agent and category); the period's handoff durations are fetched once, aggregated per
day and agent, and every nearest-rank percentile is taken from them here (no window-function rankings): no
per-conversation or per-handoff rows leave the database.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field

from sqlalchemy import and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from faqbot.analytics.facts import OUTCOME_COLUMNS
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

    @property
    def rollup(self) -> Rollup:
        return self._rollup

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
            handoffs = await _handoff_sums(conn, handoff_conditions)
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

        h = handoffs.total
        pct = handoffs.percentiles
        values: dict[str, tuple[float | None, int]] = {
            "conversations": (conversations, conversations),
            "automated_rate": (_rate(total["automated"], conversations), conversations),
            "handoff_rate": (_rate(handed_off, conversations), conversations),
            "helpful_share": (_rate(total["helpful"], rated), rated),
            "csat_average": (_mean_of(h["rating_sum"], h["ratings"]), h["ratings"]),
            "csat_response_rate": (_rate(h["ratings"], h["resolved"]), h["resolved"]),
            "first_reply_p50": (pct.get(("first_reply", 50)), handoffs.counts["first_reply"]),
            "first_reply_p90": (pct.get(("first_reply", 90)), handoffs.counts["first_reply"]),
            "wait_p50": (pct.get(("wait", 50)), handoffs.counts["wait"]),
            "wait_p90": (pct.get(("wait", 90)), handoffs.counts["wait"]),
            "resolution_p50": (pct.get(("resolution", 50)), handoffs.counts["resolution"]),
            "resolution_p90": (pct.get(("resolution", 90)), handoffs.counts["resolution"]),
            "sla_breach_rate": (_rate(h["breached"], h["live"]), h["live"]),
            "offline_tickets": (h["handoffs"] - h["live"], h["handoffs"]),
            "abandoned_waits": (h["abandoned"], h["handoffs"]),
        }
        figures = []
        for key, (value, basis) in values.items():
            figure = Figure(key, value, METRICS[key].unit, basis)
            if key in targets:
                t = targets[key]
                figure.target, figure.warning, figure.status = t.target, t.warning, t.status(value)
            figures.append(figure)

        daily = []
        for day in filters.days:
            d, hd = per_day.get(day, {}), handoffs.by_day.get(day, {})
            daily.append(DayRow(
                day, d.get("conversations", 0), _rate(d.get("automated", 0), d.get("conversations", 0)),
                _rate(d.get("handed_off", 0), d.get("conversations", 0)),
                _rate(d.get("helpful", 0), d.get("helpful", 0) + d.get("not_helpful", 0)),
                _mean_of(hd.get("rating_sum", 0), hd.get("ratings", 0)), handoffs.daily_first_reply_p50.get(day),
                _rate(hd.get("breached", 0), hd.get("live", 0))))

        return AnalyticsReport(
            start=filters.start.isoformat(), end=filters.end.isoformat(), language=filters.language,
            category=filters.category, first_reply_target_seconds=self._target_s, figures=figures,
            handoff_reasons=[ReasonRow(r.value, reasons.get(r.value, 0), _rate(reasons.get(r.value, 0), conversations))
                             for r in HandoffReason],
            outcomes={name: total[name] for name in OUTCOME_COLUMNS.values()},
            daily=daily, agents=_agents(handoffs, names), categories=_categories(by_category, handoffs),
            languages=list(LANGUAGES), known_categories=known, generated_at=utcnow().isoformat())


def _agents(handoffs: HandoffSums, names: dict[str, str]) -> list[AgentRow]:
    ids = set(handoffs.by_agent) | set(handoffs.agent_first_reply_p50)
    rows = []
    for agent_id in sorted(ids, key=lambda a: (names.get(a, a).lower(), a)):
        mine = handoffs.by_agent.get(agent_id, {})
        rows.append(AgentRow(
            agent_id, names.get(agent_id, agent_id), mine.get("handled", 0),
            handoffs.agent_first_reply_p50.get(agent_id),
            handoffs.agent_resolution_p50.get(agent_id), _mean_of(mine.get("rating_sum", 0), mine.get("ratings", 0)),
            mine.get("ratings", 0)))
    return rows


def _categories(by_category, handoffs: HandoffSums) -> list[CategoryRow]:
    rows = []
    for row in sorted(by_category, key=lambda r: (-int(r.conversations), r.category or "")):
        name = row.category or UNCATEGORISED
        conversations = int(row.conversations)
        ratings, rating_sum = handoffs.by_category.get(name, (0, 0))
        rows.append(CategoryRow(
            name, conversations, _rate(int(row.automated), conversations), _rate(int(row.handed_off), conversations),
            _rate(int(row.helpful), int(row.helpful) + int(row.not_helpful)), _mean_of(rating_sum, ratings)))
    return rows


def _mean_of(total: float, count: int) -> float | None:
    return round(total / count, 3) if count else None


@dataclass
class HandoffSums:
    """The period's handoff figures: summed in SQL, ranked from its durations fetched once."""

    total: dict[str, int]
    by_day: dict[str, dict[str, int]]
    by_agent: dict[str, dict[str, int]]
    by_category: dict[str, tuple[int, int]]
    percentiles: dict[tuple[str, int], float]
    counts: dict[str, int]
    daily_first_reply_p50: dict[str, float]
    agent_first_reply_p50: dict[str, float]
    agent_resolution_p50: dict[str, float]


_HANDOFF_KEYS = ("handoffs", "live", "breached", "resolved", "abandoned", "ratings", "rating_sum")


async def _handoff_sums(conn, conditions: list) -> HandoffSums:
    """The period's handoff figures from two grouped scans (index-only on `ix_analytics_handoffs_day_covering`):
    sums and the handoff durations per day and agent(s) — each duration column's values aggregated into one string
    (SQLite) or array (PostgreSQL) per group, from which every nearest-rank percentile (overall, per day, per
    agent) is taken here — and the ratings per category."""
    h = handoff_rows.c
    resolved = h.status == "resolved"
    handled = h.status.in_(("resolved", "assigned"))
    live = h.live.is_(True)
    where = and_(*conditions)
    flag = lambda condition: func.coalesce(func.sum(case((condition, 1), else_=0)), 0)  # noqa: E731
    values = _values_of(conn.dialect.name)
    grouped = (await conn.execute(
        select(h.day, h.agent_id, h.first_reply_agent_id,
               func.count().label("handoffs"), flag(live).label("live"), flag(h.breached.is_(True)).label("breached"),
               flag(resolved).label("resolved"), flag(h.status == "abandoned").label("abandoned"),
               func.count(h.rating).label("ratings"), func.coalesce(func.sum(h.rating), 0).label("rating_sum"),
               flag(handled).label("handled"), flag(and_(handled, h.rating.is_not(None))).label("handled_ratings"),
               func.coalesce(func.sum(case((handled, h.rating), else_=0)), 0).label("handled_rating_sum"),
               values(live, h.first_reply_s).label("first_reply"), values(live, h.wait_s).label("wait"),
               values(resolved, h.resolution_s).label("resolution"))
        .where(where).group_by(h.day, h.agent_id, h.first_reply_agent_id))).all()
    by_category = {(r.category or UNCATEGORISED): (int(r.ratings), int(r.rating_sum)) for r in (await conn.execute(
        select(h.category, func.count(h.rating).label("ratings"), func.coalesce(func.sum(h.rating), 0)
               .label("rating_sum")).where(where, h.rating.is_not(None)).group_by(h.category))).all()}

    by_day: dict[str, dict[str, int]] = {}
    by_agent: dict[str, dict[str, int]] = {}
    first_reply: list[float] = []
    wait: list[float] = []
    resolution: list[float] = []
    first_reply_by_day: dict[str, list[float]] = defaultdict(list)
    first_reply_by_agent: dict[str, list[float]] = defaultdict(list)
    resolution_by_agent: dict[str, list[float]] = defaultdict(list)
    for row in grouped:
        day = by_day.setdefault(row.day, dict.fromkeys(_HANDOFF_KEYS, 0))
        for key in _HANDOFF_KEYS:
            day[key] += int(getattr(row, key))
        if row.agent_id is not None and int(row.handled):
            mine = by_agent.setdefault(row.agent_id, {"handled": 0, "ratings": 0, "rating_sum": 0})
            mine["handled"] += int(row.handled)
            mine["ratings"] += int(row.handled_ratings)
            mine["rating_sum"] += int(row.handled_rating_sum)
        replies = _floats(row.first_reply)
        first_reply += replies
        first_reply_by_day[row.day] += replies
        if row.first_reply_agent_id is not None:
            first_reply_by_agent[row.first_reply_agent_id] += replies
        wait += _floats(row.wait)
        resolved_in = _floats(row.resolution)
        resolution += resolved_in
        if row.agent_id is not None:
            resolution_by_agent[row.agent_id] += resolved_in
    total = {k: sum(d[k] for d in by_day.values()) for k in _HANDOFF_KEYS}
    percentiles: dict[tuple[str, int], float] = {}
    counts: dict[str, int] = {}
    for name, ordered in (("first_reply", first_reply), ("wait", wait), ("resolution", resolution)):
        counts[name] = len(ordered)
        ordered.sort()
        for p in (50, 90):
            if ordered:
                percentiles[(name, p)] = _nearest_rank(ordered, p)
    return HandoffSums(total, by_day, by_agent, by_category, percentiles, counts,
                       _p50s(first_reply_by_day), _p50s(first_reply_by_agent), _p50s(resolution_by_agent))


def _values_of(dialect: str) -> Callable:
    """(condition, column) -> an aggregate of the column's non-null values on the rows meeting the condition: an
    array on PostgreSQL; on SQLite one comma-separated string. SQLite writes a REAL with 15 significant digits,
    which reads back as the same float because the durations are stored rounded to milliseconds (`facts._seconds`:
    under 10^12 seconds that is at most 15 digits); printing 17 digits with printf() would double the query's time."""
    if dialect == "postgresql":
        return lambda condition, column: func.array_agg(column).filter(and_(condition, column.is_not(None)))
    return lambda condition, column: func.group_concat(case((and_(condition, column.is_not(None)), column)))


def _floats(aggregated) -> list[float]:
    if not aggregated:
        return []
    if isinstance(aggregated, str):
        return list(map(float, aggregated.split(",")))
    return list(map(float, aggregated))


def _p50s(groups: dict[str, list[float]]) -> dict[str, float]:
    return {key: _nearest_rank(sorted(values), 50) for key, values in groups.items() if values}


def _nearest_rank(ordered: list[float], p: int) -> float:
    """Nearest-rank percentile p of ascending, non-empty `ordered`: the value at rank ceil(n·p/100)."""
    return float(ordered[max(1, (len(ordered) * p + 99) // 100) - 1])

"""The figures a supervisor can set a target and a warning level for, and where those are kept.

A figure meets its target, is past the warning level ("alert"), or in between ("warning"). Whether higher
or lower is better is part of the figure, so the warning level is checked to lie on the worse side.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from faqbot.analytics.tables import targets_table
from storage import utcnow

Unit = Literal["count", "ratio", "score", "seconds"]
Status = Literal["ok", "warning", "alert"]


@dataclass(frozen=True)
class Metric:
    key: str
    unit: Unit
    higher_is_better: bool

    @property
    def bounds(self) -> tuple[float, float]:
        return {"count": (0.0, 1e9), "ratio": (0.0, 1.0), "score": (1.0, 5.0),
                "seconds": (0.0, 30 * 86400.0)}[self.unit]


METRICS: dict[str, Metric] = {m.key: m for m in (
    Metric("conversations", "count", True),
    Metric("automated_rate", "ratio", True),
    Metric("handoff_rate", "ratio", False),
    Metric("helpful_share", "ratio", True),
    Metric("csat_average", "score", True),
    Metric("csat_response_rate", "ratio", True),
    Metric("first_reply_p50", "seconds", False),
    Metric("first_reply_p90", "seconds", False),
    Metric("wait_p50", "seconds", False),
    Metric("wait_p90", "seconds", False),
    Metric("resolution_p50", "seconds", False),
    Metric("resolution_p90", "seconds", False),
    Metric("sla_breach_rate", "ratio", False),
    Metric("offline_tickets", "count", False),
    Metric("abandoned_waits", "count", False),
)}


class UnknownMetric(Exception):
    def __init__(self, metric: str) -> None:
        super().__init__(f"no figure called '{metric}'; one of: {', '.join(METRICS)}")


class InvalidTarget(Exception):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


@dataclass(frozen=True)
class Target:
    metric: str
    target: float
    warning: float
    updated_by: str | None
    updated_at: dt.datetime

    def status(self, value: float | None) -> Status | None:
        if value is None:
            return None
        if METRICS[self.metric].higher_is_better:
            return "ok" if value >= self.target else "warning" if value >= self.warning else "alert"
        return "ok" if value <= self.target else "warning" if value <= self.warning else "alert"


def check_target(metric: str, target: float, warning: float) -> Metric:
    if metric not in METRICS:
        raise UnknownMetric(metric)
    spec = METRICS[metric]
    low, high = spec.bounds
    for name, value in (("target", target), ("warning", warning)):
        if not low <= value <= high:
            raise InvalidTarget(name, f"must lie between {low:g} and {high:g} for {metric} ({spec.unit})")
    if spec.higher_is_better and warning > target:
        raise InvalidTarget("warning", f"higher is better for {metric}: the warning level must not exceed the target")
    if not spec.higher_is_better and warning < target:
        raise InvalidTarget("warning", f"lower is better for {metric}: the warning level must not be below the target")
    return spec


class TargetStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def all(self) -> dict[str, Target]:
        async with self._engine.connect() as conn:
            rows = (await conn.execute(select(targets_table))).all()
        return {r.metric: Target(r.metric, r.target, r.warning, r.updated_by, r.updated_at)
                for r in rows if r.metric in METRICS}

    async def set(self, metric: str, target: float, warning: float, by: str | None) -> Target:
        check_target(metric, target, warning)
        now = utcnow()
        async with self._engine.begin() as conn:
            updated = await conn.execute(targets_table.update().where(targets_table.c.metric == metric)
                                         .values(target=target, warning=warning, updated_by=by, updated_at=now))
            if updated.rowcount == 0:
                await conn.execute(targets_table.insert().values(metric=metric, target=target, warning=warning,
                                                                 updated_by=by, updated_at=now))
        return Target(metric, target, warning, by, now)

    async def clear(self, metric: str) -> None:
        if metric not in METRICS:
            raise UnknownMetric(metric)
        async with self._engine.begin() as conn:
            await conn.execute(targets_table.delete().where(targets_table.c.metric == metric))

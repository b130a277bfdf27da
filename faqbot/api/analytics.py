"""The analytics dashboard's API (supervisors and admins): the figures of a period, and the targets.

Every figure is computed from what is stored (messages, handoffs and their events, ratings, answer feedback)
through the roll-ups in faqbot/analytics; see faqbot/analytics/facts.py for the definitions.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from faqbot.analytics import METRICS, Filters, InvalidFilter, InvalidTarget, UnknownMetric
from faqbot.analytics.targets import Target
from faqbot.api.deps import ServicesDep, SupervisorAgent
from faqbot.api.models import RequestModel
from faqbot.api.contract import errors
from faqbot.errors import ServiceError

router = APIRouter(prefix="/api/analytics", tags=["analytics"])


class InvalidAnalyticsRequest(ServiceError):
    status_code = 422
    code = "invalid_request"


def _invalid(field: str, message: str) -> InvalidAnalyticsRequest:
    return InvalidAnalyticsRequest(f"{field}: {message}")


# --- responses ---

class FigureOut(BaseModel):
    key: str = Field(description="one of the figures (see GET /api/analytics/targets)")
    value: float | None = Field(description="null when there is nothing to compute it over")
    unit: str = Field(description="count, ratio (0..1), score (1..5) or seconds")
    basis: int = Field(description="how many conversations, handoffs or rated answers it is computed over")
    target: float | None = None
    warning: float | None = None
    status: str | None = Field(default=None, description="ok, warning or alert against the target")


class DayOut(BaseModel):
    day: str
    conversations: int
    automated_rate: float | None
    handoff_rate: float | None
    helpful_share: float | None
    csat_average: float | None
    first_reply_p50: float | None
    sla_breach_rate: float | None


class AgentOut(BaseModel):
    agent_id: str
    name: str
    handled: int
    first_reply_p50: float | None
    resolution_p50: float | None
    csat_average: float | None
    ratings: int


class CategoryOut(BaseModel):
    category: str = Field(description="empty for conversations without a category")
    conversations: int
    automated_rate: float | None
    handoff_rate: float | None
    helpful_share: float | None
    csat_average: float | None


class ReasonOut(BaseModel):
    reason: str
    handoffs: int
    rate: float | None


class ReportOut(BaseModel):
    model_config = ConfigDict(extra="forbid")

    start: str
    end: str
    language: str | None
    category: str | None
    first_reply_target_seconds: float
    figures: list[FigureOut]
    handoff_reasons: list[ReasonOut]
    outcomes: dict[str, int]
    daily: list[DayOut]
    agents: list[AgentOut]
    categories: list[CategoryOut]
    languages: list[str]
    known_categories: list[str]
    generated_at: str


class TargetOut(BaseModel):
    metric: str
    unit: str
    higher_is_better: bool
    target: float | None
    warning: float | None
    updated_by: str | None = None
    updated_at: str | None = None


class TargetsOut(BaseModel):
    targets: list[TargetOut]


class TargetIn(RequestModel):
    target: float = Field(allow_inf_nan=False, description="the level the figure should reach")
    warning: float = Field(allow_inf_nan=False, description="past this level (on the worse side) it is an alert")


MetricPath = Annotated[str, Path(max_length=32, description="a figure's key, e.g. 'automated_rate'")]


def _target_out(metric: str, target: Target | None) -> TargetOut:
    spec = METRICS[metric]
    return TargetOut(metric=metric, unit=spec.unit, higher_is_better=spec.higher_is_better,
                     target=target.target if target else None, warning=target.warning if target else None,
                     updated_by=target.updated_by if target else None,
                     updated_at=target.updated_at.isoformat() if target else None)


@router.get("", response_model=ReportOut, responses=errors(401, 403, 422),
            summary="The dashboard's figures for a period, optionally for one language or category")
async def report(
    agent: SupervisorAgent, services: ServicesDep,
    start: Annotated[dt.date | None, Query(description="first day (UTC), default: 6 days before `end`")] = None,
    end: Annotated[dt.date | None, Query(description="last day (UTC), inclusive; default: today")] = None,
    language: Annotated[str | None, Query(max_length=8, description="'en' or 'zh'")] = None,
    category: Annotated[str | None, Query(max_length=64, description="a category; empty: without one")] = None,
) -> ReportOut:
    today = dt.datetime.now(dt.UTC).date()
    end = end or today
    for name, value in (("end", end), ("start", start)):
        if value is not None and value.year < 2000:
            raise _invalid(name, "must be 2000-01-01 or later")
    start = start or end - dt.timedelta(days=6)
    try:
        built = await services.analytics.report(Filters(start, end, language or None, category))
    except InvalidFilter as exc:
        raise _invalid(exc.field, exc.message) from exc
    return ReportOut.model_validate(dataclasses.asdict(built))


@router.get("/targets", response_model=TargetsOut, responses=errors(401, 403),
            summary="Every figure's target and warning level (null where none is set)")
async def targets(agent: SupervisorAgent, services: ServicesDep) -> TargetsOut:
    stored = await services.analytics_targets.all()
    return TargetsOut(targets=[_target_out(m, stored.get(m)) for m in METRICS])


@router.put("/targets/{metric}", response_model=TargetOut, responses=errors(400, 401, 403, 404, 413, 422),
            summary="Set a figure's target and warning level")
async def set_target(metric: MetricPath, body: TargetIn, agent: SupervisorAgent, services: ServicesDep) -> TargetOut:
    try:
        saved = await services.analytics_targets.set(metric, body.target, body.warning, agent.username)
    except UnknownMetric as exc:
        raise ServiceError(str(exc), code="unknown_metric", status_code=404) from exc
    except InvalidTarget as exc:
        raise InvalidAnalyticsRequest(str(exc)) from exc
    return _target_out(metric, saved)


@router.delete("/targets/{metric}", response_model=TargetOut, responses=errors(401, 403, 404, 422),
               summary="Remove a figure's target and warning level")
async def clear_target(metric: MetricPath, agent: SupervisorAgent, services: ServicesDep) -> TargetOut:
    try:
        await services.analytics_targets.clear(metric)
    except UnknownMetric as exc:
        raise ServiceError(str(exc), code="unknown_metric", status_code=404) from exc
    return _target_out(metric, None)

"""The audit log, for admins: who changed what and when, newest first, filtered and paginated."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from faqbot.api.deps import AdminAgent, ServicesDep
from faqbot.api.contract import STAFF_ROLE, errors
from faqbot.api.models import MAX_SQL_INT
from faqbot.audit import AUDIT_ACTIONS
from faqbot.audit.log import MAX_PAGE
from faqbot.errors import ServiceError

router = APIRouter(prefix="/api/audit", tags=["audit"])


class AuditEntryOut(BaseModel):
    id: str
    at: str
    actor_id: str | None = Field(description="None: the system")
    actor_name: str
    action: str
    target_type: str
    target_id: str
    target_name: str | None
    details: dict[str, Any]


class AuditPageOut(BaseModel):
    entries: list[AuditEntryOut]
    total: int = Field(description="entries matching the filters")
    offset: int
    limit: int


class AuditAction(BaseModel):
    action: str
    label: str


class AuditActor(BaseModel):
    id: str | None
    name: str


class AuditFiltersOut(BaseModel):
    actions: list[AuditAction]
    actors: list[AuditActor]


def _day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC)


@router.get("", response_model=AuditPageOut, responses=errors(STAFF_ROLE, 422))
async def audit_log(
    agent: AdminAgent, services: ServicesDep,
    actor: Annotated[str | None, Query(max_length=36, description="an account id")] = None,
    action: Annotated[str | None, Query(max_length=64, pattern=r"^[a-z_]+(\.[a-z_]*)?$",
                                        description="'account.roles', or a prefix such as 'kb.'")] = None,
    since: Annotated[dt.date | None, Query(description="from this day (UTC), inclusive")] = None,
    until: Annotated[dt.date | None, Query(description="to this day (UTC), inclusive")] = None,
    target: Annotated[str | None, Query(max_length=128, description="a target id (account, article)")] = None,
    offset: Annotated[int, Query(ge=0, le=MAX_SQL_INT)] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
) -> AuditPageOut:
    """Entries newest first."""
    if since and until and until < since:
        raise ServiceError("until: must not be before since", code="invalid_request", status_code=422)
    page = await services.audit.page(
        actor_id=actor, action=action, since=_day_start(since) if since else None,
        until=_day_start(until) + dt.timedelta(days=1) if until and until < dt.date.max else None, target_id=target,
        offset=offset, limit=limit)
    return AuditPageOut(entries=[e.to_json() for e in page.entries], total=page.total, offset=page.offset,
                        limit=page.limit)


@router.get("/filters", response_model=AuditFiltersOut, responses=errors(STAFF_ROLE))
async def audit_filters(agent: AdminAgent, services: ServicesDep) -> AuditFiltersOut:
    """What the log can be filtered by: the kinds of change, and everyone who appears in it."""
    return AuditFiltersOut(actions=[AuditAction(action=a, label=label) for a, label in AUDIT_ACTIONS.items()],
                           actors=[AuditActor(id=i, name=n) for i, n in await services.audit.actors()])

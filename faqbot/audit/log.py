"""An append-only record of changes made by staff: one row per change, with who, what, which target, when
and the details (e.g. the fields that changed, from and to).

Anything that changes accounts or the knowledge base calls `AuditLog.record(actor, action, target, details)`.
`action` is a dotted name (`account.create`, `account.roles`, `kb.publish`, ...); the known ones are listed in
`AUDIT_ACTIONS` (others are accepted, so a new kind of change never fails for want of a name).
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import JSON, Column, Index, MetaData, String, Table, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from storage import UTCDateTime, utcnow

metadata = MetaData()

audit_table = Table(
    "audit_log",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("at", UTCDateTime(), nullable=False),
    Column("actor_id", String(36)),            # None: the system (e.g. the command line, a file import)
    Column("actor_name", String(128), nullable=False),
    Column("action", String(64), nullable=False),
    Column("target_type", String(32), nullable=False),
    Column("target_id", String(128), nullable=False),
    Column("target_name", String(256)),
    Column("details", JSON, nullable=False, default=dict),
    Index("ix_audit_log_at", "at"),
    Index("ix_audit_log_actor_at", "actor_id", "at"),
    Index("ix_audit_log_action_at", "action", "at"),
)

AUDIT_ACTIONS: dict[str, str] = {
    "account.create": "created an account",
    "account.update": "changed an account's profile",
    "account.roles": "changed an account's roles",
    "account.deactivate": "deactivated an account",
    "account.activate": "reactivated an account",
    "account.password_reset": "reset an account's password",
    "canned.create": "created a canned reply",
    "canned.update": "changed a canned reply",
    "canned.delete": "deleted a canned reply",
    "kb.create": "created an article",
    "kb.update": "changed an article",
    "kb.publish": "published an article",
    "kb.unpublish": "unpublished an article",
    "kb.archive": "archived an article",
    "kb.restore": "restored an article version",
    "kb.delete": "deleted an article",
}

MAX_PAGE = 200


class Actor(Protocol):
    """Whoever made the change: an `Agent` fits."""

    id: str
    display_name: str


@dataclass(frozen=True)
class Target:
    type: str      # "account", "article", "canned_reply", ...
    id: str
    name: str | None = None


@dataclass(frozen=True)
class AuditEntry:
    id: str
    at: dt.datetime
    actor_id: str | None
    actor_name: str
    action: str
    target: Target
    details: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "at": self.at.isoformat(), "actor_id": self.actor_id, "actor_name": self.actor_name,
                "action": self.action, "target_type": self.target.type, "target_id": self.target.id,
                "target_name": self.target.name, "details": self.details}


@dataclass(frozen=True)
class AuditPage:
    entries: list[AuditEntry]
    total: int
    offset: int
    limit: int


class AuditLog:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def record(self, actor: Actor | None, action: str, target: Target | tuple[str, str] | tuple[str, str, str],
                     details: dict[str, Any] | None = None, *, conn=None) -> AuditEntry:
        """Append one entry. `target` is a Target or (type, id[, name]); `actor` None means the system.

        Pass `conn` to write it in the caller's transaction (the change and its record commit together)."""
        if not isinstance(target, Target):
            target = Target(*target)
        if not action or len(action) > 64:
            raise ValueError("an audit action is a name of 1 to 64 characters")
        entry = AuditEntry(str(uuid.uuid4()), utcnow(), actor.id if actor else None,
                           (actor.display_name if actor else "system"), action, target, dict(details or {}))
        row = dict(id=entry.id, at=entry.at, actor_id=entry.actor_id, actor_name=entry.actor_name[:128],
                   action=action, target_type=target.type[:32], target_id=str(target.id)[:128],
                   target_name=(target.name or None) and target.name[:256], details=entry.details)
        if conn is not None:
            await conn.execute(audit_table.insert().values(**row))
        else:
            async with self._engine.begin() as own:
                await own.execute(audit_table.insert().values(**row))
        return entry

    async def page(self, *, actor_id: str | None = None, action: str | None = None,
                   since: dt.datetime | None = None, until: dt.datetime | None = None,
                   target_id: str | None = None, offset: int = 0, limit: int = 50) -> AuditPage:
        """Entries newest first, filtered; `action` may be a prefix ending in '.' (e.g. 'account.')."""
        limit = max(1, min(limit, MAX_PAGE))
        offset = max(0, offset)
        where = []
        c = audit_table.c
        if actor_id:
            where.append(c.actor_id == actor_id)
        if action:
            where.append(c.action.startswith(action, autoescape=True) if action.endswith(".") else c.action == action)
        if since:
            where.append(c.at >= since)
        if until:
            where.append(c.at < until)
        if target_id:
            where.append(c.target_id == target_id)
        async with self._engine.connect() as conn:
            total = (await conn.execute(select(func.count()).select_from(audit_table).where(*where))).scalar_one()
            rows = (await conn.execute(select(audit_table).where(*where).order_by(c.at.desc(), c.id)
                                       .offset(offset).limit(limit))).all()
        return AuditPage([_entry(r) for r in rows], total, offset, limit)

    async def actors(self) -> list[tuple[str | None, str]]:
        """Everyone who appears in the log: (actor id, latest name)."""
        async with self._engine.connect() as conn:
            rows = (await conn.execute(select(audit_table.c.actor_id, func.max(audit_table.c.actor_name))
                                       .group_by(audit_table.c.actor_id))).all()
        return sorted(((r[0], r[1]) for r in rows), key=lambda a: a[1].lower())


def _entry(row) -> AuditEntry:
    return AuditEntry(row.id, row.at, row.actor_id, row.actor_name, row.action,
                      Target(row.target_type, row.target_id, row.target_name), dict(row.details or {}))

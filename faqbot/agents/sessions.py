"""Staff login sessions: opaque bearer tokens stored only as hashes. The one place sessions start, are checked
and end (logout, a password change, revocation; deactivation and a password reset end them here too).

A session ends at the first of: its absolute lifetime (FAQBOT_AGENT_SESSION_HOURS after login), being
idle (no request and no open console for FAQBOT_AGENT_IDLE_MINUTES), or being ended.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Column, ForeignKey, MetaData, String, Table, delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from faqbot.agents.passwords import new_token, token_hash
from storage import UTCDateTime, utcnow

TOUCH_EVERY = dt.timedelta(seconds=60)  # last-seen times are written at most this often per session


def sessions_table_for(metadata: MetaData) -> Table:
    return Table(
        "agent_sessions",
        metadata,
        Column("token_hash", String(64), primary_key=True),
        Column("agent_id", String(36), ForeignKey("agents.id"), nullable=False),
        Column("expires_at", UTCDateTime(), nullable=False),  # the absolute end
        Column("created_at", UTCDateTime()),
        Column("last_seen_at", UTCDateTime()),
    )


@dataclass(frozen=True)
class SessionInfo:
    id: str  # a prefix of the token's hash: names the session without revealing anything
    created_at: dt.datetime | None
    last_seen_at: dt.datetime | None
    expires_at: dt.datetime
    current: bool = False

    def to_json(self) -> dict[str, object]:
        iso = lambda t: t.isoformat() if t else None  # noqa: E731
        return {"id": self.id, "created_at": iso(self.created_at), "last_seen_at": iso(self.last_seen_at),
                "expires_at": iso(self.expires_at), "current": self.current}


SESSION_ID_LENGTH = 16


class Sessions:
    def __init__(self, table: Table, lifetime: dt.timedelta, idle: dt.timedelta) -> None:
        self.table = table
        self._lifetime = lifetime
        self._idle = idle

    async def start(self, conn: AsyncConnection, agent_id: str) -> str:
        token, now = new_token(), utcnow()
        await conn.execute(self.table.insert().values(token_hash=token_hash(token), agent_id=agent_id,
                                                      expires_at=now + self._lifetime, created_at=now,
                                                      last_seen_at=now))
        return token

    def lookup(self, token: str):
        """The WHERE clause that finds a token's session row."""
        return self.table.c.token_hash == token_hash(token)

    def is_live(self, expires_at: dt.datetime, last_seen_at: dt.datetime | None = None) -> bool:
        now = utcnow()
        return expires_at >= now and (last_seen_at is None or now - last_seen_at <= self._idle)

    async def touch(self, conn: AsyncConnection, token: str, last_seen_at: dt.datetime | None) -> None:
        """Record activity (at most once a minute per session)."""
        now = utcnow()
        if last_seen_at is None or now - last_seen_at >= TOUCH_EVERY:
            await conn.execute(update(self.table).where(self.lookup(token)).values(last_seen_at=now))

    async def end(self, conn: AsyncConnection, token: str) -> bool:
        return ((await conn.execute(delete(self.table).where(self.lookup(token)))).rowcount or 0) > 0

    async def end_by_id(self, conn: AsyncConnection, agent_id: str, session_id: str) -> bool:
        if len(session_id) != SESSION_ID_LENGTH:
            return False
        result = await conn.execute(delete(self.table).where(self.table.c.agent_id == agent_id)
                                    .where(self.table.c.token_hash.startswith(session_id, autoescape=True)))
        return (result.rowcount or 0) > 0

    async def end_all(self, conn: AsyncConnection, agent_id: str, *, except_token: str | None = None) -> int:
        """End every session of an account (but `except_token`'s); returns how many ended."""
        statement = delete(self.table).where(self.table.c.agent_id == agent_id)
        if except_token:
            statement = statement.where(self.table.c.token_hash != token_hash(except_token))
        return (await conn.execute(statement)).rowcount or 0

    async def list(self, conn: AsyncConnection, agent_id: str, current_token: str | None = None
                   ) -> list[SessionInfo]:
        current = token_hash(current_token) if current_token else None
        rows = (await conn.execute(select(self.table).where(self.table.c.agent_id == agent_id)
                                   .order_by(self.table.c.created_at))).all()
        return [SessionInfo(r.token_hash[:SESSION_ID_LENGTH], r.created_at, r.last_seen_at, r.expires_at,
                            r.token_hash == current)
                for r in rows if self.is_live(r.expires_at, r.last_seen_at)]

    async def purge_ended(self, conn: AsyncConnection) -> int:
        """Delete sessions past their absolute or idle end."""
        now = utcnow()
        result = await conn.execute(delete(self.table).where(
            (self.table.c.expires_at < now) | (self.table.c.last_seen_at < now - self._idle)))
        return result.rowcount or 0

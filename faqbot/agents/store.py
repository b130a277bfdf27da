"""Agent accounts (created by `faqbot agent create` or a configured default) and bearer-token sessions."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

import anyio
from sqlalchemy import JSON, Boolean, Column, Integer, MetaData, String, Table, select
from sqlalchemy.ext.asyncio import AsyncEngine

from faqbot.agents.password_policy import check_password
from faqbot.agents.passwords import hash_password, needs_rehash, verify_against_nothing, verify_password
from faqbot.agents.sessions import SessionInfo, Sessions, sessions_table_for
from storage import UTCDateTime, utcnow

metadata = MetaData()

agents_table = Table(
    "agents",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("display_name", String(128), nullable=False),
    Column("roles", JSON, nullable=False, default=list, server_default='["agent"]'),
    Column("password_hash", String(256), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    # routing: which categories and languages they handle (empty: any), how many chats at once
    Column("skills", JSON, nullable=False, default=list, server_default="[]"),
    Column("languages", JSON, nullable=False, default=list, server_default="[]"),
    Column("max_concurrent", Integer, nullable=False, default=3, server_default="3"),
    Column("auto_assign", Boolean, nullable=False, default=False, server_default="0"),
    Column("presence", String(16), nullable=False, default="offline", server_default="offline"),
    Column("presence_since", UTCDateTime()),
)

sessions_table = sessions_table_for(metadata)

# agent: conversations; editor: knowledge base and questions to fix; supervisor: analytics, transcripts (read),
# team view; admin: all of it, plus accounts. An account may hold several.
ROLES = ("agent", "editor", "supervisor", "admin")


def clean_roles(roles: Iterable[str]) -> frozenset[str]:
    """The roles as stored; ValueError naming the unknown ones, or when there are none."""
    chosen = frozenset(r.strip().lower() for r in roles if r and r.strip())
    unknown = sorted(chosen - set(ROLES))
    if unknown:
        raise ValueError(f"unknown role(s) {', '.join(unknown)}; roles are {', '.join(ROLES)}")
    if not chosen:
        raise ValueError(f"an account needs at least one role of {', '.join(ROLES)}")
    return chosen


class AuthenticationFailed(Exception):
    pass


class Presence(StrEnum):
    ONLINE = "online"    # at the console, taking conversations
    AWAY = "away"        # keeps their conversations, gets no new ones (also: disconnected, in the grace period)
    OFFLINE = "offline"  # signed off; has no conversations


@dataclass(frozen=True)
class Agent:
    id: str
    username: str
    display_name: str
    roles: frozenset[str]
    skills: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    max_concurrent: int = 3
    auto_assign: bool = False
    presence: Presence = Presence.OFFLINE
    presence_since: dt.datetime | None = None

    def has_role(self, *roles: str) -> bool:
        """True if the account holds one of `roles` (an admin holds them all)."""
        return "admin" in self.roles or not self.roles.isdisjoint(roles)

    @property
    def role(self) -> str:
        """The account's highest role, for one-word displays."""
        return next(r for r in reversed(ROLES) if r in self.roles)

    def to_json(self) -> dict[str, object]:
        return {"id": self.id, "username": self.username, "display_name": self.display_name, "role": self.role,
                "roles": [r for r in ROLES if r in self.roles],
                "skills": list(self.skills), "languages": list(self.languages),
                "max_concurrent": self.max_concurrent, "auto_assign": self.auto_assign,
                "presence": self.presence.value,
                "presence_since": self.presence_since.isoformat() if self.presence_since else None}


def _agent(row) -> Agent:
    return Agent(row.id, row.username, row.display_name, frozenset(row.roles or ("agent",)), tuple(row.skills or ()),
                 tuple(row.languages or ()), row.max_concurrent, bool(row.auto_assign), Presence(row.presence),
                 row.presence_since)


def _clean(values: Iterable[str]) -> list[str]:
    return sorted({v.strip().lower() for v in values if v and v.strip()})


class AgentStore:
    def __init__(self, engine: AsyncEngine, session_hours: float = 12.0, idle_minutes: float = 60.0) -> None:
        self._engine = engine
        self.sessions = Sessions(sessions_table, dt.timedelta(hours=session_hours),
                                 dt.timedelta(minutes=idle_minutes))

    async def create(self, username: str, password: str, *, display_name: str | None = None,
                     roles: Iterable[str] = ("agent",), skills: Iterable[str] = (), languages: Iterable[str] = (),
                     max_concurrent: int = 3, auto_assign: bool = False) -> Agent:
        chosen = clean_roles(roles)
        if not username.strip():
            raise ValueError("a username is required")
        check_password(password, username)
        if max_concurrent < 1:
            raise ValueError("max_concurrent must be at least 1")
        password_hash = await anyio.to_thread.run_sync(hash_password, password)
        agent_id = str(uuid.uuid4())
        async with self._engine.begin() as conn:
            await conn.execute(
                agents_table.insert().values(
                    id=agent_id, username=username.strip(), display_name=display_name or username.strip(),
                    roles=[r for r in ROLES if r in chosen], password_hash=password_hash, created_at=utcnow(), skills=_clean(skills),
                    languages=_clean(languages), max_concurrent=max_concurrent, auto_assign=auto_assign,
                    presence=Presence.OFFLINE.value, presence_since=None,
                )
            )
        return await self.by_id(agent_id)  # type: ignore[return-value]

    async def update_profile(self, agent_id: str, *, skills: Iterable[str] | None = None,
                             languages: Iterable[str] | None = None, max_concurrent: int | None = None,
                             auto_assign: bool | None = None, display_name: str | None = None,
                             roles: Iterable[str] | None = None) -> Agent | None:
        values: dict[str, object] = {}
        if roles is not None:
            chosen = clean_roles(roles)
            values["roles"] = [r for r in ROLES if r in chosen]
        if skills is not None:
            values["skills"] = _clean(skills)
        if languages is not None:
            values["languages"] = _clean(languages)
        if max_concurrent is not None:
            if max_concurrent < 1:
                raise ValueError("max_concurrent must be at least 1")
            values["max_concurrent"] = max_concurrent
        if auto_assign is not None:
            values["auto_assign"] = auto_assign
        if display_name:
            values["display_name"] = display_name.strip()
        if values:
            async with self._engine.begin() as conn:
                await conn.execute(agents_table.update().where(agents_table.c.id == agent_id).values(**values))
        return await self.by_id(agent_id)

    async def set_presence(self, agent_id: str, presence: Presence, *, only_if: Presence | None = None,
                           restart_clock: bool = False) -> bool:
        """Change an agent's presence (optionally only from `only_if`); True if it changed.

        `restart_clock` also restamps `presence_since` when the presence stays the same.
        """
        stmt = agents_table.update().where(agents_table.c.id == agent_id)
        if not restart_clock:
            stmt = stmt.where(agents_table.c.presence != presence.value)
        if only_if is not None:
            stmt = stmt.where(agents_table.c.presence == only_if.value)
        async with self._engine.begin() as conn:
            result = await conn.execute(stmt.values(presence=presence.value, presence_since=utcnow()))
        return result.rowcount == 1

    async def all(self) -> list[Agent]:
        async with self._engine.connect() as conn:
            rows = (await conn.execute(select(agents_table).order_by(agents_table.c.username))).all()
        return [_agent(r) for r in rows]

    async def by_username(self, username: str) -> Agent | None:
        async with self._engine.connect() as conn:
            row = (await conn.execute(select(agents_table).where(agents_table.c.username == username))).first()
        return _agent(row) if row else None

    async def by_id(self, agent_id: str) -> Agent | None:
        async with self._engine.connect() as conn:
            row = (await conn.execute(select(agents_table).where(agents_table.c.id == agent_id))).first()
        return _agent(row) if row else None

    async def login(self, username: str, password: str) -> tuple[Agent, str]:
        """A new session token for valid credentials; AuthenticationFailed otherwise.

        An unknown user name costs one password verification, like a known one, so the time taken does
        not tell which names exist. An old (scrypt, or weaker argon2) hash is replaced at a good login.
        """
        async with self._engine.connect() as conn:
            row = (await conn.execute(select(agents_table).where(agents_table.c.username == username))).first()
        if row is None:
            await anyio.to_thread.run_sync(verify_against_nothing, password)
            raise AuthenticationFailed("wrong username or password")
        if not await anyio.to_thread.run_sync(verify_password, password, row.password_hash):
            raise AuthenticationFailed("wrong username or password")
        if needs_rehash(row.password_hash):
            await self._set_password_hash(row.id, await anyio.to_thread.run_sync(hash_password, password))
        async with self._engine.begin() as conn:
            token = await self.sessions.start(conn, row.id)
        return _agent(row), token

    async def agent_for_token(self, token: str) -> Agent:
        """The agent a live session token belongs to (the session counts as used now)."""
        async with self._engine.connect() as conn:
            row = (
                await conn.execute(
                    select(agents_table, sessions_table.c.expires_at, sessions_table.c.last_seen_at)
                    .join(sessions_table, sessions_table.c.agent_id == agents_table.c.id)
                    .where(self.sessions.lookup(token))
                )
            ).first()
        if row is None or not self.sessions.is_live(row.expires_at, row.last_seen_at):
            raise AuthenticationFailed("unknown or expired session")
        async with self._engine.begin() as conn:
            await self.sessions.touch(conn, token, row.last_seen_at)
        return _agent(row)

    # -- the account's own password and sessions ------------------------------------------------

    async def change_password(self, agent_id: str, current: str, new: str, *, keep_token: str | None = None) -> int:
        """Set a new password (the current one must be given); every other session ends. Returns how many."""
        async with self._engine.connect() as conn:
            row = (await conn.execute(select(agents_table).where(agents_table.c.id == agent_id))).first()
        if row is None or not await anyio.to_thread.run_sync(verify_password, current, row.password_hash):
            raise AuthenticationFailed("the current password is wrong")
        check_password(new, row.username)
        await self._set_password_hash(agent_id, await anyio.to_thread.run_sync(hash_password, new))
        async with self._engine.begin() as conn:
            return await self.sessions.end_all(conn, agent_id, except_token=keep_token)

    async def logout(self, token: str) -> bool:
        async with self._engine.begin() as conn:
            return await self.sessions.end(conn, token)

    async def list_sessions(self, agent_id: str, current_token: str | None = None) -> list[SessionInfo]:
        async with self._engine.connect() as conn:
            return await self.sessions.list(conn, agent_id, current_token)

    async def end_session(self, agent_id: str, session_id: str) -> bool:
        async with self._engine.begin() as conn:
            return await self.sessions.end_by_id(conn, agent_id, session_id)

    async def end_sessions(self, agent_id: str, *, except_token: str | None = None) -> int:
        async with self._engine.begin() as conn:
            return await self.sessions.end_all(conn, agent_id, except_token=except_token)

    async def _set_password_hash(self, agent_id: str, password_hash: str) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(agents_table.update().where(agents_table.c.id == agent_id)
                               .values(password_hash=password_hash))

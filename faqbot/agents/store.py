"""Agent accounts (created by `faqbot agent create` or a configured default) and bearer-token sessions."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

import anyio
from sqlalchemy import Column, ForeignKey, MetaData, String, Table, select
from sqlalchemy.ext.asyncio import AsyncEngine

from faqbot.agents.passwords import hash_password, new_token, token_hash, verify_password
from storage import UTCDateTime, utcnow

metadata = MetaData()

agents_table = Table(
    "agents",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("display_name", String(128), nullable=False),
    Column("role", String(16), nullable=False),
    Column("password_hash", String(256), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
)

sessions_table = Table(
    "agent_sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("agent_id", String(36), ForeignKey("agents.id"), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
)

ROLES = ("agent", "editor", "admin")


class AuthenticationFailed(Exception):
    pass


@dataclass(frozen=True)
class Agent:
    id: str
    username: str
    display_name: str
    role: str


class AgentStore:
    def __init__(self, engine: AsyncEngine, session_hours: float = 12.0) -> None:
        self._engine = engine
        self._session_lifetime = dt.timedelta(hours=session_hours)

    async def create(self, username: str, password: str, *, display_name: str | None = None,
                     role: str = "agent") -> Agent:
        if role not in ROLES:
            raise ValueError(f"role must be one of {', '.join(ROLES)}")
        if not username.strip() or len(password) < 4:
            raise ValueError("a username and a password of at least 4 characters are required")
        password_hash = await anyio.to_thread.run_sync(hash_password, password)
        agent = Agent(str(uuid.uuid4()), username.strip(), display_name or username.strip(), role)
        async with self._engine.begin() as conn:
            await conn.execute(
                agents_table.insert().values(
                    id=agent.id, username=agent.username, display_name=agent.display_name, role=role,
                    password_hash=password_hash, created_at=utcnow(),
                )
            )
        return agent

    async def by_username(self, username: str) -> Agent | None:
        async with self._engine.connect() as conn:
            row = (await conn.execute(select(agents_table).where(agents_table.c.username == username))).first()
        return Agent(row.id, row.username, row.display_name, row.role) if row else None

    async def by_id(self, agent_id: str) -> Agent | None:
        async with self._engine.connect() as conn:
            row = (await conn.execute(select(agents_table).where(agents_table.c.id == agent_id))).first()
        return Agent(row.id, row.username, row.display_name, row.role) if row else None

    async def login(self, username: str, password: str) -> tuple[Agent, str]:
        """A new session token for valid credentials; AuthenticationFailed otherwise."""
        async with self._engine.connect() as conn:
            row = (await conn.execute(select(agents_table).where(agents_table.c.username == username))).first()
        # an unknown username costs as much time as a wrong password
        ok = await anyio.to_thread.run_sync(
            lambda: verify_password(password, row.password_hash if row else hash_password(password)) and row is not None
        )
        if row is None or not ok:
            raise AuthenticationFailed("wrong username or password")
        token = new_token()
        async with self._engine.begin() as conn:
            await conn.execute(
                sessions_table.insert().values(
                    token_hash=token_hash(token), agent_id=row.id, expires_at=utcnow() + self._session_lifetime
                )
            )
        return Agent(row.id, row.username, row.display_name, row.role), token

    async def agent_for_token(self, token: str) -> Agent:
        async with self._engine.connect() as conn:
            row = (
                await conn.execute(
                    select(agents_table, sessions_table.c.expires_at)
                    .join(sessions_table, sessions_table.c.agent_id == agents_table.c.id)
                    .where(sessions_table.c.token_hash == token_hash(token))
                )
            ).first()
        if row is None:
            raise AuthenticationFailed("unknown or expired session")
        if row.expires_at < utcnow():
            raise AuthenticationFailed("unknown or expired session")
        return Agent(row.id, row.username, row.display_name, row.role)

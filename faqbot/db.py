"""The database: SQLite by default (WAL, so readers never wait), any SQLAlchemy async URL otherwise.

The schema is owned by Alembic (faqbot/migrations); `migrate` brings a database to the newest revision.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import MetaData, event, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from faqbot.agents import canned as canned_tables
from faqbot.agents import store as agent_tables
from faqbot.analytics import tables as analytics_tables
from faqbot.audit import log as audit_tables
from faqbot.conversations import store as conversation_tables
from faqbot.security.files import create_owner_only
from handoff import store as handoff_tables
from knowledge_base import resolutions as _kb_resolutions  # noqa: F401 - its table is in kb_tables.metadata
from knowledge_base import store as kb_tables
from knowledge_base import vectors as kb_vector_tables

ALL_METADATA: tuple[MetaData, ...] = (kb_tables.metadata, handoff_tables.metadata, conversation_tables.metadata,
                                      agent_tables.metadata, canned_tables.metadata, kb_vector_tables.metadata,
                                      audit_tables.metadata, analytics_tables.metadata)
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
MIGRATION_LOCK = 0x66617162  # PostgreSQL advisory lock key ("faqb"): one process upgrades, the others wait
CONNECT_TIMEOUT_SECONDS = 5.0
START_LOCK = 0x66617163  # one process at a time imports the articles folder and creates the bootstrap account

SQLITE_POOL_SIZE = 16
SQLITE_POOL_OVERFLOW = 24


class OneWriterAtATime(AsyncEngine):
    """An engine whose write transactions (`begin()`) take turns in the process.

    SQLite lets one transaction write at a time; the others wait in SQLite's busy handler, which sleeps in
    steps of up to 100 ms whatever the holder's progress — under many concurrent customer turns most of the
    time went to those sleeps, with the CPU idle. Queued here, a write transaction starts the moment the
    previous one commits. Reads (`connect()`) are not queued (WAL: readers never wait).
    """

    def __init__(self, sync_engine) -> None:
        super().__init__(sync_engine)
        self._writer = asyncio.Lock()
        self._holder: asyncio.Task | None = None

    @contextlib.asynccontextmanager
    async def begin(self) -> AsyncIterator[AsyncConnection]:
        task = asyncio.current_task()
        if task is not None and self._holder is task:  # nested in the same turn: it already holds the queue
            async with super().begin() as conn:
                yield conn
            return
        async with self._writer:
            self._holder = task
            try:
                async with super().begin() as conn:
                    yield conn
            finally:
                self._holder = None


def make_engine(url: str) -> AsyncEngine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        pool: dict[str, int] = {}
        if parsed.database and parsed.database != ":memory:":
            create_owner_only(Path(parsed.database))
            # enough pooled connections for every concurrent turn: past the pool, SQLAlchemy opens an overflow
            # connection per checkout and closes it after (with aiosqlite a new thread, a file open and the
            # pragmas each time); WAL readers never wait, so kept-open connections cost only their caches
            pool = {"pool_size": SQLITE_POOL_SIZE, "max_overflow": SQLITE_POOL_OVERFLOW}
        engine = OneWriterAtATime(create_async_engine(url, connect_args={"timeout": 30}, **pool).sync_engine)

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record) -> None:  # pragma: no cover - trivial
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    # pre-ping: a pooled connection the server dropped (a restart) is replaced before use, not failed on;
    # a connect that cannot finish fails within CONNECT_TIMEOUT_SECONDS (503, faqbot.db_outage), never hangs
    connect_args = {"timeout": CONNECT_TIMEOUT_SECONDS} if parsed.get_driver_name() == "asyncpg" else {}
    return create_async_engine(url, pool_pre_ping=True, connect_args=connect_args)


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


async def migrate(engine: AsyncEngine, revision: str = "head") -> None:
    """Apply every migration up to `revision` (idempotent).

    On PostgreSQL the upgrade runs under a transaction-level advisory lock: processes starting together
    take turns, and the ones after the first find nothing left to do (never two upgrades racing)."""
    async with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        await conn.run_sync(lambda sync: command.upgrade(alembic_config(sync), revision))


@contextlib.asynccontextmanager
async def exclusive(engine: AsyncEngine, key: int) -> AsyncIterator[None]:
    """One process at a time (a PostgreSQL session advisory lock; SQLite: one process anyway)."""
    if engine.dialect.name != "postgresql":
        yield
        return
    async with engine.connect() as conn:
        await conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": key})
        await conn.commit()
        try:
            yield
        finally:
            await conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
            await conn.commit()


async def schema_drift(engine: AsyncEngine) -> list:
    """Differences between the database's schema and the models (empty when migrations are complete)."""
    async with engine.connect() as conn:
        return await conn.run_sync(
            lambda sync: compare_metadata(MigrationContext.configure(sync, opts={"compare_type": True}),
                                          list(ALL_METADATA)))

"""A freshly migrated database of either supported engine, for tests that run against both."""

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from faqbot.db import make_engine, migrate
from tests.servers import postgres_database


@contextlib.asynccontextmanager
async def migrated_engine(kind: str, tmp_path: Path, label: str) -> AsyncIterator[AsyncEngine]:
    """`kind` "sqlite" (a file under tmp_path) or "postgres" (a new database on the test server, dropped after)."""
    async with contextlib.AsyncExitStack() as stack:
        if kind == "sqlite":
            url = f"sqlite+aiosqlite:///{tmp_path / f'{label}.db'}"
        else:
            url = await stack.enter_async_context(postgres_database(label))
        engine = make_engine(url)
        stack.push_async_callback(engine.dispose)
        await migrate(engine)
        yield engine

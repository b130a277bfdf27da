"""Fixtures shared by all tests: a real SQLite database per test, the small knowledge base."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from embeddings import HashingEncoder
from faqbot.db import make_engine, migrate
from faqbot.launcher import Stack
from handoff import HandoffService, HandoffStore
from knowledge_base.service import KnowledgeBase
from knowledge_base.store import ArticleStore
from tests.factories import SMALL_KB
from tests.live import running_stack


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'test.db'}")
    await migrate(engine)
    yield engine
    await engine.dispose()


@pytest.fixture
async def small_kb(engine: AsyncEngine, tmp_path: Path) -> KnowledgeBase:
    """The five-article knowledge base over the deterministic hashing encoder (no model needed)."""
    kb = KnowledgeBase(ArticleStore(engine), HashingEncoder(), tmp_path / "index")
    await ArticleStore(engine).import_articles(SMALL_KB)
    await kb.reload()
    return kb


@pytest.fixture
def handoffs(engine: AsyncEngine) -> HandoffService:
    return HandoffService(HandoffStore(engine))


@pytest.fixture(scope="session")
def live(tmp_path_factory) -> Iterator[Stack]:
    """One real Rasa server and web service, shared by the non-destructive integration and browser tests."""
    with running_stack(tmp_path_factory.mktemp("live")) as stack:
        yield stack

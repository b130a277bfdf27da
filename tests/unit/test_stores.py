"""The stores against both supported databases: SQLite (default) and PostgreSQL (FAQBOT_DATABASE_URL)."""

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from faqbot.agents import AgentStore, AuthenticationFailed
from faqbot.conversations import ConversationNotFound, ConversationStore, Sender
from faqbot.db import make_engine, migrate, schema_drift
from handoff import HandoffReason, HandoffService, HandoffStatus, HandoffStore, InvalidHandoffTransition
from knowledge_base.store import ArticleStore
from tests.databases import migrated_engine
from tests.factories import SMALL_KB


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def db(request, tmp_path) -> AsyncIterator[AsyncEngine]:
    async with migrated_engine(request.param, tmp_path, "stores") as engine:
        yield engine


async def test_migrations_build_exactly_the_models_schema_and_are_idempotent(db):
    assert await schema_drift(db) == []
    await migrate(db)  # again: nothing to do, nothing breaks
    assert await schema_drift(db) == []


async def test_messages_get_gap_free_sequence_numbers(db):
    store = ConversationStore(db)
    await store.create("c1", "hash", page_url=None, language="en")
    seqs = [(await store.append("c1", Sender.CUSTOMER, f"m{i}", {"i": i})).seq for i in range(5)]
    assert seqs == [1, 2, 3, 4, 5]
    await store.annotate("c1", 2, {"intent": "greet"})
    after = await store.messages("c1", after=1)
    assert [m.seq for m in after] == [2, 3, 4, 5] and after[0].data == {"i": 1, "intent": "greet"}
    assert after[0].created_at.tzinfo is not None
    with pytest.raises(ConversationNotFound):
        await store.append("missing", Sender.CUSTOMER, "x")


async def test_handoff_lifecycle_and_races(db):
    service = HandoffService(HandoffStore(db))
    first, created = await service.request("c1", HandoffReason.FRUSTRATED, language="zh", details={"a": 1})
    again, created_again = await service.request("c1", HandoffReason.CUSTOMER_REQUEST)
    assert created and not created_again and again.id == first.id and again.reason is HandoffReason.FRUSTRATED
    claimed = await service.claim(first.id, "agent-a")
    assert claimed.status is HandoffStatus.ASSIGNED and claimed.assigned_at is not None
    with pytest.raises(InvalidHandoffTransition):
        await service.claim(first.id, "agent-b")
    resolved = await service.resolve(first.id, "agent-a")
    assert resolved.status is HandoffStatus.RESOLVED and await service.open_for("c1") is None


async def test_article_import_is_idempotent_and_versions_changes(db):
    store = ArticleStore(db)
    assert await store.import_articles(SMALL_KB) == len(SMALL_KB)
    assert await store.import_articles(SMALL_KB) == 0
    from dataclasses import replace
    changed = [replace(SMALL_KB[0], answer="A new answer."), *SMALL_KB[1:]]
    assert await store.import_articles(changed) == 1
    published = {a.id: a for a in await store.published()}
    assert published[SMALL_KB[0].id].version == 2 and published[SMALL_KB[0].id].answer == "A new answer."
    assert published[SMALL_KB[1].id].version == 1


async def test_agent_login_sessions(db):
    agents = AgentStore(db)
    alice = await agents.create("alice", "secret-pw", display_name="Alice")
    agent, token = await agents.login("alice", "secret-pw")
    assert agent == alice and (await agents.agent_for_token(token)).display_name == "Alice"
    for username, password in (("alice", "wrong"), ("nobody", "secret-pw")):
        with pytest.raises(AuthenticationFailed):
            await agents.login(username, password)
    with pytest.raises(AuthenticationFailed):
        await agents.agent_for_token("not-a-token")


async def test_article_versions_conflicts_and_restore(db):
    from dataclasses import replace

    from knowledge_base.article import ArticleStatus
    from knowledge_base.errors import ArticleConflict

    store = ArticleStore(db)
    draft = replace(SMALL_KB[0], status=ArticleStatus.DRAFT)
    created = await store.create(draft, "ed")
    assert created.version == 1 and await store.published() == []
    edited = await store.update(replace(draft, answer="Faster now."), expected_version=1, author="ed")
    with pytest.raises(ArticleConflict):
        await store.update(replace(draft, answer="Lost update"), expected_version=1, author="mo")
    published = await store.set_status(draft.id, ArticleStatus.PUBLISHED, "ed", expected_version=edited.version)
    assert [a.id for a in await store.published()] == [draft.id]
    restored = await store.restore(draft.id, 1, "ed")
    assert restored.version == published.version + 1 and restored.answer == SMALL_KB[0].answer
    assert restored.status is ArticleStatus.PUBLISHED  # content restored, still published
    history = await store.versions(draft.id)
    assert [(v.version, v.author) for v in history] == [(1, "ed"), (2, "ed"), (3, "ed"), (4, "ed")]
    assert len(await store.search(text="faster")) == 0 and len(await store.search(text=draft.questions[0][:8])) == 1


async def test_sqlite_write_transactions_take_turns_without_deadlocking_a_nested_one(tmp_path):
    import asyncio

    from faqbot.db import OneWriterAtATime

    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'turns.db'}")
    assert isinstance(engine, OneWriterAtATime)
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE t (n INTEGER)"))
    inside, most = 0, 0

    async def write(n: int) -> None:
        nonlocal inside, most
        async with engine.begin() as conn:
            inside += 1
            most = max(most, inside)
            await conn.execute(text("INSERT INTO t VALUES (:n)"), {"n": n})
            await asyncio.sleep(0.01)
            inside -= 1

    await asyncio.gather(*(write(n) for n in range(10)))
    async with engine.begin() as outer:  # a transaction opened inside another in the same task does not wait for
        await outer.execute(text("INSERT INTO t VALUES (100)"))  # the queue it already holds (reads fine in WAL)
        async with engine.begin() as inner:
            assert (await inner.execute(text("SELECT count(*) FROM t"))).scalar_one() == 10
    async with engine.connect() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM t"))).scalar_one() == 11
    assert most == 1
    await engine.dispose()

"""Phrasing embeddings cached in the database: a second process (its own index folder, no shared disk)
builds its retriever from the vectors the first one computed, without running the model; edits are
announced to listeners once they are live."""

from embeddings import HashingEncoder
from knowledge_base.article import ArticleStatus
from knowledge_base.service import KnowledgeBase
from knowledge_base.store import ArticleStore
from knowledge_base.vectors import VectorStore
from tests.factories import SMALL_KB


class CountingEncoder(HashingEncoder):
    def __init__(self) -> None:
        super().__init__()
        self.encoded: list[str] = []

    def encode(self, texts):
        self.encoded.extend(texts)
        return super().encode(texts)


async def test_a_second_process_builds_from_cached_vectors_without_the_model(engine, tmp_path):
    await ArticleStore(engine).import_articles(SMALL_KB)
    first_model, second_model = CountingEncoder(), CountingEncoder()
    first = KnowledgeBase(ArticleStore(engine), first_model, tmp_path / "a" / "index", vectors=VectorStore(engine))
    await first.reload()
    phrasings = {p for a in SMALL_KB for p in a.phrasings}
    assert phrasings <= set(first_model.encoded)  # the first process ran the model

    second = KnowledgeBase(ArticleStore(engine), second_model, tmp_path / "b" / "index",
                           vectors=VectorStore(engine))
    await second.reload()
    assert second_model.encoded == []  # read from the database
    assert second.article_count == first.article_count
    question = SMALL_KB[0].phrasings[0]
    assert (await second.decide(question)).hits[0].article.id == (await first.decide(question)).hits[0].article.id

    heard: list[str] = []
    first.on_change(lambda: heard.append("changed"))
    article = SMALL_KB[0]
    edited = await first.update(type(article)(**{**article.__dict__, "questions": (*article.questions,
                                                                               "a brand new phrasing")}),
                                (await first.store.get(article.id)).version, "editor")
    assert edited.status is ArticleStatus.PUBLISHED and heard == ["changed"]
    assert await second.reload_if_changed()  # what the notification triggers in the other process
    assert "a brand new phrasing" not in second_model.encoded  # computed by the first, read from the database

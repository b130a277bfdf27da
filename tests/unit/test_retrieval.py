from pathlib import Path

import numpy as np

from embeddings import HashingEncoder, IndexManifest, VectorIndex
from embeddings.index import INDEX_FILE, MANIFEST_FILE
from knowledge_base import AnswerPolicy, Outcome
from knowledge_base.retrieval import HybridRetriever, content_hash
from tests.factories import SMALL_KB, article


def test_search_finds_the_matching_article_first():
    retriever = HybridRetriever.build(SMALL_KB, HashingEncoder())
    hits = retriever.search("how long does my refund take")
    assert hits[0].article.id == "refund-timing-en"
    assert hits[0].score > hits[1].score


def test_query_language_is_preferred():
    retriever = HybridRetriever.build(SMALL_KB, HashingEncoder())
    assert {h.article.language for h in retriever.search("退款什么时候到账", k=5)} == {"zh"}
    assert retriever.search("退款什么时候到账")[0].article.id == "refund-timing-zh"
    assert {h.article.language for h in retriever.search("refund", k=5)} == {"en"}


def test_traditional_characters_find_the_simplified_article():
    retriever = HybridRetriever.build(SMALL_KB, HashingEncoder())
    assert retriever.search("退款多久能到賬？")[0].article.id == "refund-timing-zh"


def test_policy_answers_above_threshold_and_is_unsure_below():
    retriever = HybridRetriever.build(SMALL_KB, HashingEncoder())
    policy = AnswerPolicy(answer_en=0.5, answer_zh=0.5)
    assert policy.decide(retriever.search("Where is my parcel?"), "en").outcome is Outcome.ANSWER
    unsure = policy.decide(retriever.search("what is the capital of france"), "en")
    assert unsure.outcome is Outcome.UNSURE and unsure.best is not None


def test_index_is_saved_with_a_manifest_and_reused(tmp_path: Path):
    encoder = HashingEncoder()
    HybridRetriever.build(SMALL_KB, encoder, tmp_path)
    manifest = (tmp_path / MANIFEST_FILE).read_text()
    assert content_hash(SMALL_KB) in manifest and encoder.model_name in manifest
    mtime = (tmp_path / INDEX_FILE).stat().st_mtime_ns
    HybridRetriever.build(SMALL_KB, encoder, tmp_path)
    assert (tmp_path / INDEX_FILE).stat().st_mtime_ns == mtime  # reused, not rebuilt


def test_changed_content_rebuilds_the_index(tmp_path: Path):
    encoder = HashingEncoder()
    HybridRetriever.build(SMALL_KB, encoder, tmp_path)
    extra = [*SMALL_KB, article("invoice-en", ["How do I get an invoice?", "I need a receipt", "VAT invoice"])]
    retriever = HybridRetriever.build(extra, encoder, tmp_path)
    assert retriever.search("I need a receipt for my order")[0].article.id == "invoice-en"
    assert content_hash(extra) in (tmp_path / MANIFEST_FILE).read_text()


def test_corrupt_index_file_is_rebuilt_not_fatal(tmp_path: Path):
    encoder = HashingEncoder()
    HybridRetriever.build(SMALL_KB, encoder, tmp_path)
    (tmp_path / INDEX_FILE).write_bytes(b"garbage")
    retriever = HybridRetriever.build(SMALL_KB, encoder, tmp_path)
    assert retriever.search("Where is my parcel?")[0].article.id == "track-shipment-en"


def test_vector_index_round_trip(tmp_path: Path):
    index = VectorIndex(4)
    vectors = np.eye(4, dtype=np.float32)
    index.add(["a", "b", "c", "d"], vectors)
    manifest = IndexManifest(model="m", dimension=4, content_hash="h", count=4)
    index.save(tmp_path, manifest)
    loaded = VectorIndex.load(tmp_path, manifest)
    assert loaded is not None and len(loaded) == 4
    assert loaded.search(vectors[2], k=1)[0].key == "c"
    assert VectorIndex.load(tmp_path, IndexManifest(model="other", dimension=4, content_hash="h", count=4)) is None


def test_hnsw_index_finds_what_exact_search_finds(tmp_path: Path):
    rng = np.random.default_rng(7)
    vectors = rng.normal(size=(2000, 32)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    keys = [f"k{i}" for i in range(len(vectors))]
    exact, approximate = VectorIndex(32, "flat"), VectorIndex(32, "hnsw")
    exact.add(keys, vectors)
    approximate.add(keys, vectors)
    queries = vectors[:50] + 0.05 * rng.normal(size=(50, 32)).astype(np.float32)
    recall = np.mean([len({h.key for h in exact.search(q, 10)} & {h.key for h in approximate.search(q, 10)}) / 10
                      for q in queries])
    assert recall >= 0.95
    manifest = IndexManifest(model="m", dimension=32, content_hash="h", count=2000)
    approximate.save(tmp_path, manifest)
    loaded = VectorIndex.load(tmp_path, manifest)
    assert loaded is not None and loaded.kind == "hnsw" and loaded.search(vectors[3], 1)[0].key == "k3"


def test_small_knowledge_bases_use_exact_search():
    from embeddings.index import kind_for

    assert kind_for(10_000) == "flat" and kind_for(1_000_000) == "hnsw"

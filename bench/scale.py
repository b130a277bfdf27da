"""Knowledge bases of 10k and 100k phrasings: build time, search latency, HNSW recall, edit-to-live time.

    .venv/bin/python -m bench.scale [--data ../shared/data] [--sizes 10000 100000]

Phrasings come from the public sets in ../shared/data (grouped into articles of up to 25 by their label).
Queries are CLINC150 validation texts. (Scaling the processes instead — service processes, Rasa instances,
PostgreSQL, Redis, nginx — is bench/fleet.py.) The live-edit part publishes an article through the same
KnowledgeBase the service uses (SQLite, real model) while searches run concurrently, and counts errors.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

from bench.common import save, summary_ms
from embeddings import CachingEncoder, SentenceTransformerEncoder
from embeddings.index import FLAT, HNSW
from faqbot.db import make_engine, migrate
from faqbot.settings import REPO_ROOT
from knowledge_base import AnswerPolicy
from knowledge_base.article import Article, ArticleStatus
from knowledge_base.retrieval import HybridRetriever
from knowledge_base.service import KnowledgeBase
from knowledge_base.store import ArticleStore

SOURCES = [  # file, text column, label column
    ("clinc150/train.csv", "text", "intent"), ("hwu64/train.csv", "text", "intent"),
    ("bitext_cs/bitext_customer_support_20k.csv", "utterance", "intent"), ("goemotions/train.csv", "text", "labels"),
    ("hwu64/test.csv", "text", "intent"), ("goemotions/dev.csv", "text", "labels"),
]


def synthetic_kb(data: Path, phrasings: int, per_article: int = 25) -> list[Article]:
    by_label: dict[str, list[str]] = defaultdict(list)
    seen: set[str] = set()
    for file, text_col, label_col in SOURCES:
        with (data / file).open(newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                text = (row.get(text_col) or "").strip()
                if text and text not in seen:
                    seen.add(text)
                    by_label[f"{file.split('/')[0]}-{row.get(label_col)}"].append(text)
    # the public sets hold ~96k distinct texts; past that, add reworded copies ("Could you tell me: …")
    # of CLINC150 training questions, so a 100k-phrasing run has 100k distinct phrasings
    shortfall = phrasings - len(seen)
    if shortfall > 0:
        extra = [f"Could you tell me: {t}" for t in by_label_texts(by_label, "clinc150")][:shortfall]
        by_label["clinc150-reworded"].extend(extra)
    articles, total = [], 0
    for label, texts in sorted(by_label.items()):
        for start in range(0, len(texts), per_article):
            chunk = texts[start:start + per_article]
            chunk = chunk[: phrasings - total]
            if not chunk:
                return articles
            articles.append(Article(id=f"{label}-{start}", group=label, language="en", title=chunk[0],
                                    questions=tuple(chunk[1:]) or (chunk[0],), answer=label, category="bench"))
            total += len(articles[-1].phrasings)
    return articles


def by_label_texts(by_label: dict[str, list[str]], prefix: str) -> list[str]:
    return [t for label, texts in sorted(by_label.items()) if label.startswith(prefix) for t in texts]


def queries(data: Path, n: int = 300) -> list[str]:
    with (data / "clinc150/val.csv").open(newline="", encoding="utf-8") as fh:
        return [row["text"] for row in csv.DictReader(fh)][::10][:n]


def latency(retriever: HybridRetriever, texts: list[str]) -> dict[str, float]:
    policy = AnswerPolicy()
    for text in texts[:20]:
        retriever.search(text)
    samples = []
    for text in texts:
        t0 = time.perf_counter()
        policy.decide(retriever.search(text), "en")
        samples.append(time.perf_counter() - t0)
    return summary_ms(samples)


def hnsw_recall(exact: HybridRetriever, approximate: HybridRetriever, vectors: np.ndarray, k: int = 10) -> float:
    found = []
    for vector in vectors:
        a = {h.key for h in exact._index.search(vector, k)}  # noqa: SLF001 - measuring the index itself
        b = {h.key for h in approximate._index.search(vector, k)}  # noqa: SLF001
        found.append(len(a & b) / max(len(a), 1))
    return round(float(np.mean(found)), 4)


async def live_edit(articles: list[Article], encoder: CachingEncoder, texts: list[str]) -> dict:
    """Publish a new article while searches run: seconds until it is answered, and search errors meanwhile."""
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite+aiosqlite:///{tmp}/kb.db")
        await migrate(engine)
        knowledge = KnowledgeBase(ArticleStore(engine), encoder, Path(tmp) / "index")
        await knowledge.store.import_articles(articles)
        await knowledge.reload()
        stop, searches, errors = asyncio.Event(), 0, 0

        async def search_loop() -> None:
            nonlocal searches, errors
            i = 0
            while not stop.is_set():
                try:
                    await knowledge.decide(texts[i % len(texts)], "en")
                    searches += 1
                except Exception:
                    errors += 1
                i += 1

        loops = [asyncio.create_task(search_loop()) for _ in range(4)]
        await asyncio.sleep(1.0)
        new = Article(id="bench-new-article", group="bench-new", language="en", title="Do you ship pianos abroad?",
                      questions=("Can you send a grand piano to Norway?",), answer="Yes.", category="bench",
                      status=ArticleStatus.DRAFT)
        await knowledge.create(new, "bench")
        before = searches
        started = time.perf_counter()
        await knowledge.set_status(new.id, ArticleStatus.PUBLISHED, "bench")
        decision = await knowledge.decide("Can you send a grand piano to Norway?", "en")
        live_s = time.perf_counter() - started
        await asyncio.sleep(0.5)
        stop.set()
        await asyncio.gather(*loops)
        await engine.dispose()
    return {"publish_to_answered_seconds": round(live_s, 3),
            "answered_new_article": decision.best is not None and decision.best.article.id == new.id,
            "searches_during_publish": searches - before, "search_errors": errors}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=REPO_ROOT.parent / "shared" / "data")
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    args = parser.parse_args()
    encoder = CachingEncoder(SentenceTransformerEncoder())
    texts = queries(args.data)
    results: dict[str, dict] = {}
    for size in args.sizes:
        articles = synthetic_kb(args.data, size)
        rows = sum(len(a.phrasings) for a in articles)
        started = time.perf_counter()
        exact = HybridRetriever.build(articles, encoder, hnsw_from_rows=10**9)
        build_s = time.perf_counter() - started
        entry = {"articles": len(articles), "phrasings": rows, "index": FLAT,
                 "build_seconds_cold": round(build_s, 1), "search_and_decide_ms": latency(exact, texts)}
        if size >= 50_000:
            started = time.perf_counter()
            approximate = HybridRetriever.build(articles, encoder, hnsw_from_rows=0)  # vectors cached
            entry["hnsw"] = {"index": HNSW,
                             "build_seconds_from_cached_vectors": round(time.perf_counter() - started, 1),
                             "search_and_decide_ms": latency(approximate, texts),
                             "recall_at_10_vs_exact": hnsw_recall(exact, approximate, encoder.encode(texts))}
        if size == min(args.sizes):
            entry["live_edit"] = asyncio.run(live_edit(articles, encoder, texts))
        results[f"kb_{rows}"] = entry
        print(entry, flush=True)
    save("scale", results)


if __name__ == "__main__":
    main()

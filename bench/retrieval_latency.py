"""Knowledge-base search + decision latency with the real model over the shop's knowledge base.

    .venv/bin/python -m bench.retrieval_latency
"""

from __future__ import annotations

import time

from bench.common import save, summary_ms
from embeddings import SentenceTransformerEncoder
from faqbot.settings import Settings
from knowledge_base import AnswerPolicy
from knowledge_base.markdown import load_folder
from knowledge_base.retrieval import HybridRetriever

QUERIES = ["where is my parcel?", "how long does a refund take?", "can I pay with wechat", "I forgot my password",
           "我的退款什么时候到账？", "怎么退货", "发票怎么开", "优惠码无效",
           "what is the capital of france", "给我讲个笑话"]


def main() -> None:
    started = time.perf_counter()
    encoder = SentenceTransformerEncoder(Settings().embedding_model)
    model_load_s = time.perf_counter() - started
    articles = load_folder(Settings().kb_dir)
    started = time.perf_counter()
    retriever = HybridRetriever.build(articles, encoder)
    build_s = time.perf_counter() - started
    policy = AnswerPolicy()
    for q in QUERIES:  # warm up
        retriever.search(q)
    samples = []
    for _ in range(30):
        for q in QUERIES:
            t0 = time.perf_counter()
            hits = retriever.search(q)
            policy.decide(hits, hits[0].article.language)
            samples.append(time.perf_counter() - t0)
    save("retrieval_latency", {
        "articles": len(articles),
        "phrasings": sum(len(a.phrasings) for a in articles),
        "model_load_seconds": round(model_load_s, 2),
        "index_build_seconds": round(build_s, 3),
        "search_and_decide_ms": summary_ms(samples),
    })


if __name__ == "__main__":
    main()

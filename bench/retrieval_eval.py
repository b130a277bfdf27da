"""`faqbot eval retrieval` on the public intent sets in ../shared/data (HWU64, CLINC150 with out-of-scope).

    .venv/bin/python -m bench.retrieval_eval [--data ../shared/data]
"""

from __future__ import annotations

import argparse
import os
from dataclasses import asdict
from pathlib import Path

from bench.common import save
from bench.vector_cache import cached
from faqbot.settings import REPO_ROOT, Settings
from faqbot.wiring import fusion_weights, retrieval_encoder
from knowledge_base import AnswerPolicy
from knowledge_base.evaluation import evaluate, read_labelled_csv

SETS = {
    "hwu64": ("hwu64/train.csv", "hwu64/test.csv", "intent"),
    "clinc150": ("clinc150/train.csv", "clinc150/val.csv", "intent"),
    "bq_zh": ("bq_zh/train.csv", "bq_zh/test.csv", "label"),
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=REPO_ROOT.parent / "shared" / "data")
    parser.add_argument("--vector-cache", type=Path,
                        help="reuse the phrasings' vectors kept here by the tuning benchmarks (questions asked "
                             "are never in it, so their latency still includes encoding)")
    parser.add_argument("--sets", default=",".join(SETS), help="which of " + ", ".join(SETS))
    parser.add_argument("--out", default="retrieval_eval", help="result file name in bench/results")
    args = parser.parse_args()
    settings = Settings.from_env()
    encoder = cached(retrieval_encoder(settings), args.vector_cache)
    weights = fusion_weights(settings, encoder.model_name)
    policy = AnswerPolicy(answer_en=settings.answer_threshold_en, answer_zh=settings.answer_threshold_zh)
    results = {}
    for name in args.sets.split(","):
        train, test, label = SETS[name]
        results[name] = evaluate(read_labelled_csv(args.data / train, "text", label),
                                 read_labelled_csv(args.data / test, "text", label), encoder, policy, "oos",
                                 weights=weights)
    save(args.out, {"model": encoder.model_name, "fusion_weights": asdict(weights),
                            "load_average": os.getloadavg(), **results})


if __name__ == "__main__":
    main()

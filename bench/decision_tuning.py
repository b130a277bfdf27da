"""Choose the answer decision's operating points on data held out from what is reported.

The reported figures are CLINC150 validation and HWU64 test (`bench/retrieval_eval.py`); the operating
points (`answer_rate`, `clarify_rate` of `knowledge_base.calibration`) are chosen here on the TRAINING files
only: each label's training phrasings are split 80/20, the 80% become the knowledge base, the 20% are asked;
CLINC150's 100 out-of-scope training rows are split in two, one half calibrates (as a shop's logged off-topic
questions do), the other half is asked. Every pair of rates is scored on the same searches, with the
knowledge base's precision floor (`knowledge_base.calibration.precision_floor`, as shipped) and without it.

    .venv/bin/python -m bench.decision_tuning [--data ../shared/data]
"""

from __future__ import annotations

import argparse
import os
import random
from collections import defaultdict
from dataclasses import replace
from pathlib import Path
from typing import Any

from bench.common import save
from bench.vector_cache import cached
from embeddings import TextEncoder
from faqbot.settings import REPO_ROOT, Settings
from faqbot.wiring import fusion_weights, retrieval_encoder
from knowledge_base.calibration import ANSWER_RATE, CLARIFY_RATE, Calibrator, fit_calibrator, read_out_of_scope
from knowledge_base.decision import AnswerPolicy, Outcome
from knowledge_base.evaluation import LabelledText, articles_from_labels, read_labelled_csv
from knowledge_base.language import detect_language
from knowledge_base.retrieval import FusionWeights, HybridRetriever

ANSWER_RATES = (0.90, 0.95, 0.97, 0.98, 0.985, 0.99, 0.995)
CLARIFY_RATES = (0.99, 0.995, 0.999)
SETS = {"clinc150": ("clinc150/train.csv", "intent"), "hwu64": ("hwu64/train.csv", "intent")}


def split(rows: list[LabelledText], oos_label: str, seed: int = 7) -> tuple[list, list, list]:
    """(knowledge base rows, held-out questions, off-topic rows for calibration)."""
    rng = random.Random(seed)
    by_label: dict[str, list[LabelledText]] = defaultdict(list)
    for row in rows:
        by_label[row.label].append(row)
    kb, asked, calibration = [], [], []
    for label, group in sorted(by_label.items()):
        group = group[:]
        rng.shuffle(group)
        cut = len(group) // 5
        if label == oos_label:
            calibration += group[: len(group) // 2]
            asked += group[len(group) // 2:]
        else:
            asked += group[:cut]
            kb += group[cut:]
    return kb, asked, calibration


def sweep(rows: list[LabelledText], encoder: TextEncoder, weights: FusionWeights,
          oos_label: str = "oos") -> dict[str, Any]:
    kb, asked, calibration = split(rows, oos_label)
    retriever = HybridRetriever.build(articles_from_labels(kb, oos_label), encoder, weights=weights)
    base = fit_calibrator(retriever, read_out_of_scope() + [r.text for r in calibration])
    searched = [(row, retriever.search(row.text, k=3), detect_language(row.text)) for row in asked]
    without_floor = replace(base, precision_at={})
    return {"asked_in_scope": sum(r.label != oos_label for r in asked),
            "asked_out_of_scope": sum(r.label == oos_label for r in asked),
            "precision_floor": {lang: round(v, 4) for lang, v in base.precision_at.items()},
            "answer_at_by_rate_alone": {lang: round(v, 4) for lang, v in without_floor.with_rates(
                ANSWER_RATE, CLARIFY_RATE).answer_at.items()},
            "by_rates": score(base, searched, oos_label),
            "by_rates_without_floor": score(without_floor, searched, oos_label)}


def score(base: Calibrator, searched: list, oos_label: str) -> dict[str, Any]:
    results = {}
    for answer_rate in ANSWER_RATES:
        for clarify_rate in CLARIFY_RATES:
            policy = AnswerPolicy(calibrator=base.with_rates(answer_rate, clarify_rate))
            n_in = n_oos = correct = clarified = right_in = refused_oos = 0
            for row, hits, language in searched:
                decision = policy.decide(hits, language)
                if row.label == oos_label:
                    n_oos += 1
                    refused_oos += decision.outcome is Outcome.UNSURE
                    continue
                n_in += 1
                correct += decision.outcome is Outcome.ANSWER and hits[0].article.id == row.label
                if decision.outcome is Outcome.CLARIFY:
                    clarified += 1
                    right_in += row.label in [h.article.id for h in decision.choices()]
            results[f"{answer_rate}/{clarify_rate}"] = {
                "in_scope_accuracy": round(correct / n_in, 4),
                "oos_recall": round(refused_oos / n_oos, 4) if n_oos else None,
                "did_you_mean_rate": round(clarified / n_in, 4),
                "right_in_choices": round(right_in / clarified, 4) if clarified else None,
            }
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=REPO_ROOT.parent / "shared" / "data")
    parser.add_argument("--vector-cache", type=Path, help="keep phrasing vectors here between runs")
    args = parser.parse_args()
    settings = Settings.from_env()
    encoder = cached(retrieval_encoder(settings), args.vector_cache)
    weights = fusion_weights(settings, encoder.model_name)
    save("decision_tuning", {"model": encoder.model_name, "load_average": os.getloadavg(), **{
        name: sweep(read_labelled_csv(args.data / path, "text", label), encoder, weights)
        for name, (path, label) in SETS.items()}})


if __name__ == "__main__":
    main()

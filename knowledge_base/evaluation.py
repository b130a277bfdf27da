"""Measure retrieval and the answer decision on labelled questions (e.g. a shop's logged questions).

A throwaway knowledge base is built with one article per label of the training rows, whose question
phrasings are that label's texts; the live retrieval and decision code then answers each test row.
"""

from __future__ import annotations

import csv
import time
from collections import defaultdict
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from embeddings import TextEncoder
from knowledge_base.article import Article
from knowledge_base.calibration import fit_calibrator, read_out_of_scope
from knowledge_base.decision import AnswerPolicy, Outcome
from knowledge_base.errors import KnowledgeBaseError
from knowledge_base.language import detect_language
from knowledge_base.retrieval import FusionWeights, HybridRetriever


@dataclass(frozen=True)
class LabelledText:
    text: str
    label: str


def read_labelled_csv(path: Path, text_col: str, label_col: str) -> list[LabelledText]:
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        missing = {text_col, label_col} - set(reader.fieldnames or ())
        if missing:
            raise KnowledgeBaseError(f"{path}: no column(s) {', '.join(sorted(missing))}; "
                                     f"columns are {', '.join(reader.fieldnames or ())}")
        rows = [LabelledText(r[text_col].strip(), r[label_col].strip()) for r in reader]
    return [r for r in rows if r.text and r.label]


def articles_from_labels(rows: list[LabelledText], oos_label: str | None) -> list[Article]:
    by_label: dict[str, list[str]] = defaultdict(list)
    for row in rows:
        if row.label != oos_label:
            by_label[row.label].append(row.text)
    articles = []
    for label, texts in sorted(by_label.items()):
        texts = list(dict.fromkeys(texts))
        language = max(("en", "zh"), key=lambda lang: sum(detect_language(t) == lang for t in texts))
        articles.append(Article(id=label, group=label, language=language, title=texts[0],
                                questions=tuple(texts), answer=label, category="evaluation"))
    return articles


def evaluate(train: list[LabelledText], test: list[LabelledText], encoder: TextEncoder,
             policy: AnswerPolicy, oos_label: str | None = "oos", calibrate: bool = True,
             weights: FusionWeights = FusionWeights()) -> dict[str, Any]:
    """Top-k and decision metrics. Calibration works as for the live knowledge base: on the articles'
    own phrasings and the bundled off-topic questions, plus TRAIN's out-of-scope rows (a shop's logs)."""
    articles = articles_from_labels(train, oos_label)
    if not articles:
        raise KnowledgeBaseError("the training file has no in-scope rows")
    started = time.perf_counter()
    retriever = HybridRetriever.build(articles, encoder, weights=weights)
    if calibrate:
        off_topic = read_out_of_scope() + [r.text for r in train if r.label == oos_label]
        policy = replace(policy, calibrator=fit_calibrator(retriever, off_topic))
    build_seconds = time.perf_counter() - started

    outcomes: dict[str, int] = defaultdict(int)
    oos_outcomes: dict[str, int] = defaultdict(int)
    n_in = top1 = top3 = answered_correctly = clarified = right_in_choices = 0
    rr_sum = 0.0
    oos_total = oos_refused = refused_total = refused_oos = 0
    latencies: list[float] = []
    for row in test:
        t0 = time.perf_counter()
        hits = retriever.search(row.text, k=3)
        decision = policy.decide(hits, detect_language(row.text))
        latencies.append(time.perf_counter() - t0)
        outcomes[decision.outcome.value] += 1
        refused = decision.outcome is Outcome.UNSURE  # "I don't know" (a "did you mean" is not a refusal)
        refused_total += refused
        if row.label == oos_label:
            oos_outcomes[decision.outcome.value] += 1
            oos_total += 1
            oos_refused += refused
            refused_oos += refused
            continue
        n_in += 1
        ranks = [h.article.id for h in hits]
        top1 += ranks[:1] == [row.label]
        top3 += row.label in ranks
        rr_sum += 1 / (ranks.index(row.label) + 1) if row.label in ranks else 0.0
        answered_correctly += decision.outcome is Outcome.ANSWER and ranks[:1] == [row.label]
        if decision.outcome is Outcome.CLARIFY:
            clarified += 1
            right_in_choices += row.label in [h.article.id for h in decision.choices()]

    latencies_ms = sorted(x * 1000 for x in latencies)

    def pct(p: float) -> float:
        return round(latencies_ms[min(len(latencies_ms) - 1, round(p / 100 * (len(latencies_ms) - 1)))], 2)

    return {
        "n": len(test),
        "n_in_scope": n_in,
        "n_oos": oos_total,
        "articles": len(articles),
        "phrasings": sum(len(a.phrasings) for a in articles),
        "top1": _ratio(top1, n_in),
        "top3": _ratio(top3, n_in),
        "mrr": _ratio(rr_sum, n_in),
        "in_scope_accuracy": _ratio(answered_correctly, n_in),
        # "did you mean": how often an in-scope question got a choice of articles instead of an answer, and
        # how often its right article was among the buttons (in-scope accuracy counts only direct answers)
        "did_you_mean_rate": _ratio(clarified, n_in),
        "right_in_choices": _ratio(right_in_choices, clarified),
        "oos_recall": _ratio(oos_refused, oos_total),
        "oos_precision": _ratio(refused_oos, refused_total),
        "outcomes": dict(outcomes),
        "outcomes_out_of_scope": dict(oos_outcomes),
        "calibrated_languages": sorted(policy.calibrator.coefficients) if policy.calibrator else [],
        "index_build_seconds": round(build_seconds, 2),
        "latency_ms": {"p50": pct(50), "p95": pct(95)},
    }


def _ratio(numerator: float, denominator: int) -> float | None:
    return round(numerator / denominator, 4) if denominator else None

"""Calibrated answer confidence: P(the top article is the right answer), per query language.

Platt scaling (logistic regression) on two features of a search, the best fused score and its margin
over the second best, fitted on the knowledge base itself: each sampled question phrasing is searched
with its own row hidden (so it must be found through the article's other phrasings), labelled 1 when its
article comes first; known off-topic questions are labelled 0 (classes weighted equally).

The operating points come from the same held-out searches, per knowledge base and language: answer at the
confidence that still answers `answer_rate` (98.5%) of the held-out questions that were found correctly, but
never below the precision floor — the confidence from which the held-out questions (found, missed and
off-topic) were answered right at least `answer_precision` (90%) of the time; offer choices down to the one
that keeps `clarify_rate` (99%). See docs/retrieval.md.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression

from knowledge_base.language import detect_language
from knowledge_base.retrieval import ArticleHit, HybridRetriever

log = logging.getLogger(__name__)

DEFAULT_OUT_OF_SCOPE = Path(__file__).resolve().parent / "out_of_scope.txt"

# The operating points, chosen on data held out from what is reported (bench/decision_tuning.py on CLINC150's
# and HWU64's TRAINING files; bench/results/decision_tuning.json): the highest held-out in-scope accuracy that
# keeps a "did you mean" band whose buttons hold the right article at least 90% of the time. Answer at the
# confidence that keeps 98.5% of the held-out questions that were found correctly (90% before: held-out
# in-scope accuracy 0.857 with did-you-mean for 11.8%; now 0.943 and 0.7%); offer choices down to the 99%
# point, which sets the out-of-scope recall and is unchanged. docs/retrieval.md
ANSWER_RATE = 0.985
CLARIFY_RATE = 0.99
# ...and, per knowledge base and language, never answer at once below the confidence from which the held-out
# questions of THIS knowledge base (its own phrasings searched with their row hidden, and its off-topic
# questions) were answered right at least this often (see `precision_floor`). A product choice, not a fitted
# number: a wrong confident answer costs more than "did you mean" (docs/retrieval.md, "Precision floor").
ANSWER_PRECISION = 0.90


def read_out_of_scope(path: Path = DEFAULT_OUT_OF_SCOPE) -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def features(hits: Sequence[ArticleHit]) -> tuple[float, float]:
    if not hits:
        return 0.0, 0.0
    second = hits[1].score if len(hits) > 1 else 0.0
    return hits[0].score, hits[0].score - second


@dataclass(frozen=True)
class Calibrator:
    """Per language: (weight of the score, weight of the margin, bias) of a logistic model."""

    coefficients: dict[str, tuple[float, float, float]]
    samples: dict[str, int]
    answer_at: dict[str, float]
    clarify_at: dict[str, float]
    # the calibrated confidences of the held-out phrasings that were found correctly, ascending, per language:
    # the operating points are quantiles of these (see `with_rates`)
    found: dict[str, tuple[float, ...]] = field(default_factory=dict)
    # per question language: the dense score from which an article that exists only in another language
    # answers (when nothing in the question's language does); absent: never across languages
    across_at: dict[str, float] = field(default_factory=dict)
    # per language: the confidence from which held-out questions of this knowledge base were right at least
    # ANSWER_PRECISION of the time; `answer_at` is never below it (absent: no floor)
    precision_at: dict[str, float] = field(default_factory=dict)

    def probability(self, hits: Sequence[ArticleHit], language: str) -> float | None:
        """None when this language could not be calibrated (too little data)."""
        model = self.coefficients.get(language)
        if model is None:
            return None
        score, margin = features(hits)
        return float(1 / (1 + np.exp(-(model[0] * score + model[1] * margin + model[2]))))

    def with_rates(self, answer_rate: float, clarify_rate: float) -> Calibrator:
        """The same model at other operating points."""
        answer_at, clarify_at = {}, {}
        for language, found in self.found.items():
            answer_at[language], clarify_at[language] = operating_points(
                found, answer_rate, clarify_rate, self.precision_at.get(language, 0.0))
        return replace(self, answer_at=answer_at, clarify_at=clarify_at)


def operating_points(found: Sequence[float], answer_rate: float, clarify_rate: float,
                     floor: float = 0.0) -> tuple[float, float]:
    """(answer from, offer choices from): the confidences that keep `answer_rate` / `clarify_rate` of the
    held-out questions that were found correctly; answering never starts below `floor` (the precision floor),
    and what the floor takes from answering goes to "did you mean" (the choices' point does not move)."""
    by_rate = float(np.quantile(found, 1 - answer_rate))
    return max(by_rate, floor), float(min(np.quantile(found, 1 - clarify_rate), by_rate))


def precision_floor(confidences: Sequence[float], right: Sequence[int], precision: float = ANSWER_PRECISION) -> float:
    """The lowest confidence from which the held-out questions at or above it were right at least `precision`
    of the time: answering from there, the knowledge base's own held-out questions get a right answer that
    often (their found, missed and off-topic ones at their natural mix).

    0.0 when answering every held-out question is already that precise (no floor); inf when no confidence is
    (nothing is answered at once: every confident match becomes "did you mean").
    """
    x = np.asarray(confidences, dtype=float)
    y = np.asarray(right, dtype=float)
    if x.size == 0:
        return 0.0
    order = np.argsort(-x, kind="stable")
    x, y = x[order], y[order]
    # precision of answering from each confidence down to the highest; ties answer together, so only the last
    # of a run of equal confidences is a place to cut
    share = np.cumsum(y) / np.arange(1, x.size + 1)
    cut = np.append(x[1:] != x[:-1], True)
    reaching = np.flatnonzero(cut & (share >= precision))
    if reaching.size == 0:
        return float("inf")
    last = reaching[-1]
    return 0.0 if last == x.size - 1 else float(x[last])


def fit_calibrator(retriever: HybridRetriever, out_of_scope: Sequence[str], *, per_language: int = 800,
                   answer_rate: float = ANSWER_RATE, clarify_rate: float = CLARIFY_RATE,
                   answer_precision: float | None = ANSWER_PRECISION, seed: int = 13) -> Calibrator:
    rng = random.Random(seed)
    rows = retriever.rows()
    vectors = retriever.row_vectors()
    encoder = retriever.query_encoder
    oos_by_language: dict[str, list[str]] = {}
    for text in out_of_scope:
        oos_by_language.setdefault(detect_language(text), []).append(text)
    coefficients, samples, answer_at, clarify_at, found_by_language, floors = {}, {}, {}, {}, {}, {}
    for language in retriever.languages:
        own = [i for i, (article_id, _) in enumerate(rows)
               if retriever.article(article_id).language == language
               and len(retriever.article(article_id).phrasings) > 1]
        chosen = rng.sample(own, min(per_language, len(own)))
        x, y = [], []
        for i in chosen:
            article_id, text = rows[i]
            hits = retriever.search_vector(vectors[i], text, 2, language, exclude_row=i)
            x.append(features(hits))
            y.append(int(bool(hits) and hits[0].article.id == article_id))
        negatives = oos_by_language.get(language, [])
        if negatives:
            for vector, text in zip(encoder.encode(negatives), negatives, strict=True):
                x.append(features(retriever.search_vector(vector, text, 2, language)))
                y.append(0)
        if len(set(y)) < 2 or min(y.count(0), y.count(1)) < 5:
            log.warning("not enough data to calibrate %s answers; falling back to the score threshold", language)
            continue
        model = LogisticRegression(class_weight="balanced", C=10.0).fit(np.array(x), np.array(y))
        coefficients[language] = (float(model.coef_[0][0]), float(model.coef_[0][1]), float(model.intercept_[0]))
        samples[language] = len(y)
        confidences = model.predict_proba(np.array(x))[:, 1]
        found = confidences[np.array(y) == 1]
        if answer_precision is not None:
            floors[language] = precision_floor(confidences, y, answer_precision)
        answer_at[language], clarify_at[language] = operating_points(found, answer_rate, clarify_rate,
                                                                     floors.get(language, 0.0))
        found_by_language[language] = tuple(sorted(float(f) for f in found))
    return Calibrator(coefficients, samples, answer_at, clarify_at, found_by_language,
                      across_languages(retriever, oos_by_language, rng), floors)


def across_languages(retriever: HybridRetriever, oos_by_language: dict[str, list[str]], rng: random.Random,
                     per_language: int = 300) -> dict[str, float]:
    """Per question language, the dense score from which an article of another language may answer.

    Learnt from the knowledge base's translated topics: a phrasing of a topic that exists in both languages,
    searched among the OTHER language's articles, shows how well the right article scores across languages
    (positives); the known off-topic questions, searched the same way, how well a wrong one does. The
    threshold is the lowest that keeps every off-topic question out, and it is only used when it still lets
    at least half of the positives through (a multilingual encoder; an English-only one never gets there).
    """
    rows = retriever.rows()
    vectors = retriever.row_vectors()
    encoder = retriever.query_encoder
    thresholds: dict[str, float] = {}
    for language in retriever.languages:
        others = {article_id for article_id, _ in rows if retriever.article(article_id).language != language}
        negatives = oos_by_language.get(language, [])
        translated = [i for i, (article_id, _) in enumerate(rows)
                      if (article := retriever.article(article_id)).language == language
                      and len(retriever.translations(article)) > 1]
        if not others or len(negatives) < 5 or len(translated) < 5:
            continue
        off_topic = [hits[0].score if (hits := retriever.search_dense_among(others, v, 1)) else 0.0
                     for v in encoder.encode(negatives)]
        positives = []
        for i in rng.sample(translated, min(per_language, len(translated))):
            article = retriever.article(rows[i][0])
            hits = retriever.search_dense_among(others, vectors[i], 1)
            right = set(retriever.translations(article).values()) - {article.id}
            positives.append(hits[0].score if hits and hits[0].article.id in right else 0.0)
        threshold = max(off_topic) + 1e-4
        if np.mean([p >= threshold for p in positives]) >= 0.5:
            thresholds[language] = float(threshold)
        else:
            log.info("answers across languages off for %s questions: the encoder does not separate them", language)
    return thresholds

"""Train the Chinese text model (`frustration/zh_model.py`) on the Chinese development data.

    faqbot frustration train-zh --data ../shared/data --out frustration/model_zh

Three sources, each split the same way (seeded) into 70 % training, 10 % to choose the operating point
(max F1) and 20 % held out for the report (`bench.frustration_eval` rebuilds the same held-out split):

* `zh_sentiment/waimai_10k.csv` — food-delivery reviews; a negative review (label 0) is frustrated.
* `stc3_helpdesk/stc3_dq_train_cn.jsonl` — Weibo customer–helpdesk dialogues: the customer's first message
  of a dialogue the annotators rated unsatisfied (mean S ≤ −0.5) is frustrated, of a satisfied one
  (mean S ≥ 0.5) it is not (dialogues in between are left out: their label says little).
* `zh_pairs/*.csv` — LCQMC and OPPO questions (`text1`), 8,000 of them: plain questions, never frustrated.
  Without them every message reads like a review, and "怎么退货" would look like a complaint.

Runs in well under a minute on one core (scikit-learn); the shipped model keeps the 50,000 most frequent
character 1-3-grams.
"""

from __future__ import annotations

import csv
import json
import random
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from frustration.evaluation import best_f1_threshold, report
from frustration.zh_model import META_FILE, NGRAMS, ChineseTextScorer
from knowledge_base.language import normalize

SOURCES = ("waimai", "stc3", "questions")


@dataclass(frozen=True)
class Example:
    text: str
    label: int
    source: str


@dataclass(frozen=True)
class Splits:
    train: list[Example]
    validation: list[Example]
    held_out: list[Example]


@dataclass(frozen=True)
class ZhTrainingPlan:
    max_features: int = 50_000
    min_df: int = 2
    c: float = 4.0
    questions: int = 8000
    seed: int = 0


class MissingDataError(FileNotFoundError):
    pass


def _require(path: Path) -> Path:
    if not path.exists():
        raise MissingDataError(f"{path}: not found (the Chinese development data, see ../shared/data/README.md)")
    return path


def load_examples(data: Path, questions: int = 8000, seed: int = 0) -> dict[str, list[Example]]:
    """Every labelled Chinese example, by source."""
    with _require(data / "zh_sentiment" / "waimai_10k.csv").open(encoding="utf-8") as f:
        waimai = [Example(r["review"], 1 - int(r["label"]), "waimai") for r in csv.DictReader(f)]
    stc3: list[Example] = []
    with _require(data / "stc3_helpdesk" / "stc3_dq_train_cn.jsonl").open(encoding="utf-8") as f:
        for line in f:
            dialogue = json.loads(line)
            first = next((t["text"] for t in dialogue["turns"] if t["sender"] == "customer"), None)
            if first is None:
                continue
            if dialogue["mean_S"] <= -0.5:
                stc3.append(Example(first, 1, "stc3"))
            elif dialogue["mean_S"] >= 0.5:
                stc3.append(Example(first, 0, "stc3"))
    texts: list[str] = []
    for path in sorted(_require(data / "zh_pairs").glob("*.csv")):
        with path.open(encoding="utf-8") as f:
            texts.extend(r["text1"] for r in csv.DictReader(f))
    unique = list(dict.fromkeys(texts))
    random.Random(seed).shuffle(unique)
    plain = [Example(t, 0, "questions") for t in unique[:questions]]
    return {"waimai": waimai, "stc3": stc3, "questions": plain}


def split(examples: dict[str, list[Example]], seed: int = 0) -> Splits:
    """70 / 10 / 20 per source, the same every time for the same data and seed."""
    train, validation, held_out = [], [], []
    for source in SOURCES:
        rows = list(examples[source])
        random.Random(f"{seed}:{source}").shuffle(rows)
        n_held, n_val = len(rows) // 5, len(rows) // 10
        held_out += rows[:n_held]
        validation += rows[n_held:n_held + n_val]
        train += rows[n_held + n_val:]
    return Splits(train, validation, held_out)


def held_out_split(data: Path, plan: ZhTrainingPlan = ZhTrainingPlan()) -> list[Example]:
    return split(load_examples(data, plan.questions, plan.seed), plan.seed).held_out


def train_zh(data: Path, out_dir: Path, plan: ZhTrainingPlan = ZhTrainingPlan()) -> dict:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    started = time.perf_counter()
    splits = split(load_examples(data, plan.questions, plan.seed), plan.seed)
    vectorizer = TfidfVectorizer(analyzer="char", ngram_range=NGRAMS, min_df=plan.min_df, sublinear_tf=True,
                                 lowercase=False, max_features=plan.max_features, dtype=np.float64)
    x = vectorizer.fit_transform([normalize(e.text) for e in splits.train])
    y = np.array([e.label for e in splits.train])
    head = LogisticRegression(C=plan.c, max_iter=3000, class_weight="balanced").fit(x, y)

    vocabulary = vectorizer.get_feature_names_out().tolist()
    unshifted = ChineseTextScorer(vocabulary, vectorizer.idf_, head.coef_[0], float(head.intercept_[0]), 0.5)
    val_labels = np.array([e.label for e in splits.validation])
    threshold, val_f1 = best_f1_threshold(val_labels, unshifted.score([e.text for e in splits.validation]))
    # the same numbers as scikit-learn's (the scorer re-implements its features without it)
    check = [e.text for e in splits.validation[:200]]
    expected = head.decision_function(vectorizer.transform([normalize(t) for t in check]))
    actual = np.array([unshifted.logit(t) for t in check])
    if not np.allclose(expected, actual, atol=1e-6):
        raise AssertionError("the scorer's features differ from scikit-learn's")

    scorer = ChineseTextScorer(vocabulary, vectorizer.idf_, head.coef_[0], float(head.intercept_[0]), threshold)
    held = splits.held_out
    labels = np.array([e.label for e in held])
    scores = scorer.score([e.text for e in held])
    per_source = {}
    for source in SOURCES:
        keep = [i for i, e in enumerate(held) if e.source == source]
        per_source[source] = report(labels[keep], scores[keep], 0.5).to_json()
        if not labels[keep].any():  # plain questions: how many would be taken for complaints
            per_source[source]["flagged"] = round(float((scores[keep] >= 0.5).mean()), 4)
    meta = {
        "model": "character 1-3-grams, TF-IDF (sublinear), logistic regression (class-balanced)",
        "intercept": float(head.intercept_[0]), "threshold": float(threshold),
        "validation_f1": round(float(val_f1), 4),
        "held_out": report(labels, scores, 0.5).to_json(), "held_out_by_source": per_source,
        "trained_on": "zh_sentiment/waimai_10k.csv (negative = 1), stc3_helpdesk cn first customer message "
                      "(mean S <= -0.5 = 1, >= 0.5 = 0), zh_pairs text1 (plain questions = 0)",
        "examples": {"train": len(splits.train), "validation": len(splits.validation), "held_out": len(held)},
        "features": len(vocabulary), "c": plan.c, "seed": plan.seed,
        "seconds": round(time.perf_counter() - started, 1),
    }
    scorer.save(out_dir)
    (out_dir / META_FILE).write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return meta

"""`faqbot eval frustration`: precision, recall, F1 and ROC AUC of the per-message score on a labelled CSV."""

from __future__ import annotations

import csv
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np


class LabelledDataError(ValueError):
    pass


def read_labelled(path: Path, text_col: str = "text", label_col: str = "is_frustration"
                  ) -> tuple[list[str], np.ndarray]:
    """Texts and 0/1 labels from a CSV; labels may also be true/false/yes/no."""
    truthy, falsy = {"1", "true", "yes", "y"}, {"0", "false", "no", "n", ""}
    texts: list[str] = []
    labels: list[int] = []
    with path.open(newline="", encoding="utf-8-sig") as f:
        reader = csv.DictReader(f)
        missing = [c for c in (text_col, label_col) if c not in (reader.fieldnames or [])]
        if missing:
            raise LabelledDataError(f"{path}: no column {', '.join(map(repr, missing))} "
                                    f"(columns: {', '.join(reader.fieldnames or [])})")
        for line, row in enumerate(reader, start=2):
            raw = (row[label_col] or "").strip().lower()
            if raw not in truthy | falsy:
                raise LabelledDataError(f"{path}:{line}: label {row[label_col]!r} is not 0/1")
            texts.append(row[text_col] or "")
            labels.append(int(raw in truthy))
    if not texts:
        raise LabelledDataError(f"{path}: no rows")
    return texts, np.array(labels, dtype=np.int64)


def best_f1_threshold(labels: np.ndarray, scores: np.ndarray) -> tuple[float, float]:
    """The threshold with the highest F1 (and that F1)."""
    order = np.argsort(-scores)
    sorted_scores, sorted_labels = scores[order], labels[order]
    true_pos = np.cumsum(sorted_labels)
    predicted = np.arange(1, len(scores) + 1)
    f1 = 2 * true_pos / (predicted + max(1, labels.sum()))
    best = int(np.argmax(f1))
    return float(sorted_scores[best]), float(f1[best])


def roc_auc(labels: np.ndarray, scores: np.ndarray) -> float | None:
    """Area under the ROC curve (None when only one class is present)."""
    positives, negatives = int(labels.sum()), int(len(labels) - labels.sum())
    if positives == 0 or negatives == 0:
        return None
    ranks = np.empty(len(scores))
    order = np.argsort(scores, kind="mergesort")
    sorted_scores = scores[order]
    # average ranks for ties
    i = 0
    while i < len(scores):
        j = i
        while j + 1 < len(scores) and sorted_scores[j + 1] == sorted_scores[i]:
            j += 1
        ranks[order[i:j + 1]] = (i + j) / 2 + 1
        i = j + 1
    return float((ranks[labels == 1].sum() - positives * (positives + 1) / 2) / (positives * negatives))


@dataclass(frozen=True)
class FrustrationReport:
    examples: int
    positives: int
    threshold: float
    precision: float
    recall: float
    f1: float
    roc_auc: float | None

    def to_json(self) -> dict:
        return asdict(self)


def report(labels: np.ndarray, scores: np.ndarray, threshold: float) -> FrustrationReport:
    predicted = scores >= threshold
    tp = int((predicted & (labels == 1)).sum())
    precision = tp / max(1, int(predicted.sum()))
    recall = tp / max(1, int(labels.sum()))
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    auc = roc_auc(labels, scores)
    return FrustrationReport(len(labels), int(labels.sum()), threshold, round(precision, 4), round(recall, 4),
                             round(f1, 4), round(auc, 4) if auc is not None else None)

"""The Chinese text model: character n-grams (1-3) weighted by TF-IDF and a logistic-regression head.

MiniLM's vocabulary and pre-training are English, so the fine-tuned English model cannot read Chinese.
Chinese frustration is read from characters instead: a linear model over the message's character
1-3-grams (after width/case folding and traditional → simplified, `knowledge_base.language.normalize`,
so traditional Chinese is read the same way). It is made by `faqbot frustration train-zh` (see
`frustration/zh_training.py`) in well under a minute and ships in `frustration/model_zh/` (a few hundred
kB); scoring a message is a dictionary look-up per n-gram — well under a millisecond on one core, with no
second transformer in the turn. Scores are shifted so that the operating point chosen on held-out data
sits at 0.5, as for the English model.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from knowledge_base.language import normalize

WEIGHTS_FILE = "zh_frustration.npz"
META_FILE = "zh_frustration.json"
NGRAMS = (1, 3)
_WHITESPACE = re.compile(r"\s\s+")


def char_ngrams(text: str, ngrams: tuple[int, int] = NGRAMS) -> list[str]:
    """The character n-grams of a normalised text, as scikit-learn's `analyzer="char"` makes them."""
    text = _WHITESPACE.sub(" ", text)
    low, high = ngrams
    return [text[i:i + n] for n in range(low, high + 1) for i in range(len(text) - n + 1)]


class ChineseTextScorer:
    """P(frustrated) of Chinese (simplified or traditional) messages, 0.5 at the operating point."""

    def __init__(self, vocabulary: Sequence[str], idf: np.ndarray, coef: np.ndarray, intercept: float,
                 threshold: float, metadata: dict | None = None) -> None:
        if not 0.0 < threshold < 1.0:
            raise ValueError(f"threshold must be in (0, 1), got {threshold}")
        if not len(vocabulary) == len(idf) == len(coef):
            raise ValueError("vocabulary, idf and coef must have the same length")
        self._index = {gram: i for i, gram in enumerate(vocabulary)}
        self._idf = np.asarray(idf, dtype=np.float64)
        self._coef = np.asarray(coef, dtype=np.float64)
        self._intercept = float(intercept) - math.log(threshold / (1.0 - threshold))
        self.metadata = metadata or {}

    @classmethod
    def load(cls, model_dir: Path) -> ChineseTextScorer:
        meta = json.loads((model_dir / META_FILE).read_text(encoding="utf-8"))
        with np.load(model_dir / WEIGHTS_FILE) as weights:
            vocabulary = [str(g) for g in weights["vocabulary"]]
            return cls(vocabulary, weights["idf"].astype(np.float64), weights["coef"].astype(np.float64),
                       float(meta["intercept"]), float(meta["threshold"]), meta)

    def save(self, model_dir: Path) -> None:
        model_dir.mkdir(parents=True, exist_ok=True)
        vocabulary = sorted(self._index, key=self._index.__getitem__)
        np.savez_compressed(model_dir / WEIGHTS_FILE, vocabulary=np.array(vocabulary),
                            idf=self._idf.astype(np.float32), coef=self._coef.astype(np.float32))

    def logit(self, text: str) -> float:
        """The head's logit (shifted: 0 at the operating point) for one message."""
        counts = Counter(self._index[g] for g in char_ngrams(normalize(text)) if g in self._index)
        if not counts:
            return self._intercept
        idx = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
        tf = 1.0 + np.log(np.fromiter(counts.values(), dtype=np.float64, count=len(counts)))
        weights = tf * self._idf[idx]
        return float(weights @ self._coef[idx] / np.linalg.norm(weights) + self._intercept)

    def score(self, texts: Sequence[str]) -> np.ndarray:
        logits = np.array([self.logit(t) for t in texts], dtype=np.float64)
        return (1.0 / (1.0 + np.exp(-logits))).astype(np.float32)

"""A lexical retriever that works for Chinese: TF-IDF over words and CJK character uni/bigrams."""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from knowledge_base.language import normalize

_WORD = re.compile(r"[a-z0-9]+")
_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")


def tokenize(text: str) -> list[str]:
    """Latin words, plus every CJK character and character bigram (Chinese has no spaces)."""
    text = normalize(text)
    tokens = _WORD.findall(text)
    for run in _CJK_RUN.findall(text):
        tokens.extend(run)
        tokens.extend(run[i : i + 2] for i in range(len(run) - 1))
    return tokens


class LexicalIndex:
    """Cosine similarity of sublinear TF-IDF vectors; scores are in [0, 1]."""

    def __init__(self, texts: Sequence[str]) -> None:
        self._vectorizer = TfidfVectorizer(analyzer=tokenize, sublinear_tf=True, norm="l2")
        # column-major, so a query (a handful of terms) touches only its terms' columns
        self._matrix = self._vectorizer.fit_transform(list(texts)).tocsc() if texts else None
        self._vocabulary = self._vectorizer.vocabulary_ if texts else {}

    def scores(self, query: str) -> np.ndarray:
        """One score per indexed text, in the order they were given.

        Scaled by the share of the query's tokens the index has ever seen: TF-IDF drops unknown terms,
        which would otherwise let 「怎么学弹钢琴」 match 「怎么退货」 on 「怎么」 alone.
        """
        if self._matrix is None:
            return np.zeros(0, dtype=np.float32)
        tokens = tokenize(query)
        if not tokens:
            return np.zeros(self._matrix.shape[0], dtype=np.float32)
        coverage = sum(t in self._vocabulary for t in tokens) / len(tokens)
        query_vector = self._vectorizer.transform([query])
        if query_vector.nnz == 0:
            return np.zeros(self._matrix.shape[0], dtype=np.float32)
        columns = self._matrix[:, query_vector.indices]
        return (coverage * (columns @ query_vector.data)).astype(np.float32)

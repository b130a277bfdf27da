"""Group questions into needs: junk dropped, near-duplicates collapsed, the rest clustered on the retriever's
embeddings (scikit-learn's Birch, whose subclusters are joined by average-linkage agglomerative clustering on
cosine distance, so 10,000 questions never need a 10,000² distance matrix)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.cluster import AgglomerativeClustering, Birch

from knowledge_base.language import normalize

_LETTERS = re.compile(r"[a-z\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]", re.IGNORECASE)
_WORDS = re.compile(r"[a-z0-9\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+", re.IGNORECASE)

# cosine distance under which two questions are the same need (average linkage); Birch's radius is on the
# unit sphere, where a Euclidean radius r is a cosine distance r²/2
DEFAULT_DISTANCE = 0.7  # HWU64 test: V-measure 0.80, ARI 0.45 (bench/results/clustering.json sweep)
BIRCH_RADIUS = 0.6  # CLINC150 10,000: 2,403 subclusters; V 0.84, ARI 0.40 (0.5: 3,549, slower, about the same)


def dedupe_key(text: str) -> str:
    """Questions with the same key are one question (case, width, punctuation and spacing ignored)."""
    return " ".join(_WORDS.findall(normalize(unicodedata.normalize("NFKC", text))))


def is_junk(text: str) -> bool:
    """Nothing a person could answer: no letters, one letter, or one character repeated."""
    key = dedupe_key(text)
    letters = _LETTERS.findall(key)
    if not letters:
        return True
    if len(letters) < 2 and not re.search(r"[\u3400-\u9fff]", key):
        return True
    compact = key.replace(" ", "")
    return len(compact) >= 4 and len(set(compact)) <= 2


@dataclass(frozen=True)
class Grouping:
    labels: list[int]  # per input text: its cluster, or -1 for junk
    representatives: list[int]  # per cluster: the index of its most central text


def cluster_vectors(vectors: np.ndarray, distance: float = DEFAULT_DISTANCE) -> np.ndarray:
    """Cluster labels for unit vectors (rows)."""
    n = len(vectors)
    if n == 0:
        return np.zeros(0, dtype=int)
    if n == 1:
        return np.zeros(1, dtype=int)
    joiner = AgglomerativeClustering(n_clusters=None, distance_threshold=distance, metric="cosine",
                                     linkage="average")
    if n <= 2000:  # small enough to cluster directly
        return joiner.fit_predict(vectors)
    birch = Birch(threshold=BIRCH_RADIUS, n_clusters=joiner, branching_factor=50, compute_labels=True)
    return birch.fit_predict(vectors)


def group(texts: Sequence[str], encode, distance: float = DEFAULT_DISTANCE) -> Grouping:
    """Cluster `texts` by need. `encode(list[str]) -> np.ndarray` gives unit vectors (the retriever's encoder)."""
    keys = [dedupe_key(t) for t in texts]
    unique: dict[str, int] = {}
    for i, (text, key) in enumerate(zip(texts, keys, strict=True)):
        if not is_junk(text) and key not in unique:
            unique[key] = i
    order = list(unique.values())
    labels = [-1] * len(texts)
    if not order:
        return Grouping(labels, [])
    vectors = np.asarray(encode([texts[i] for i in order]), dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    vectors = vectors / np.where(norms == 0, 1, norms)
    unique_labels = cluster_vectors(vectors, distance)
    label_of_key = {keys[i]: int(label) for i, label in zip(order, unique_labels, strict=True)}
    for i, key in enumerate(keys):
        if key in label_of_key and not is_junk(texts[i]):
            labels[i] = label_of_key[key]
    representatives = []
    for label in range(int(unique_labels.max()) + 1):
        members = np.flatnonzero(unique_labels == label)
        centroid = vectors[members].mean(axis=0)
        representatives.append(order[int(members[np.argmax(vectors[members] @ centroid)])])
    return Grouping(labels, representatives)

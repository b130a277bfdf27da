"""Questions-to-fix clustering quality and speed: the test texts of a labelled intent set, treated as questions
the bot could not answer, clustered as the service clusters them (knowledge_base.clusters.group, on the
retriever's own encoder) and compared with the true intents.

    .venv/bin/python -m bench.clustering [--data ../shared/data] [--timing 10000]

Reports V-measure and adjusted Rand index on HWU64 test (1,076 texts, 64 intents) and CLINC150 val in-scope
(3,000 texts, 150 intents), a small sweep of the distance threshold on HWU64, and the time to cluster 10,000
questions (CLINC150 train texts): encoding and clustering separately.
"""

from __future__ import annotations

import argparse
import csv
import os
import time
from pathlib import Path

import numpy as np
from sklearn.metrics import adjusted_rand_score, homogeneity_completeness_v_measure

from bench.common import save
from embeddings import SentenceTransformerEncoder
from faqbot.settings import REPO_ROOT, Settings
from knowledge_base.clusters import DEFAULT_DISTANCE, cluster_vectors, group


def read(path: Path, where=lambda row: True) -> tuple[list[str], list[str]]:
    with path.open(encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if where(r)]
    return [r["text"] for r in rows], [r["intent"] for r in rows]


def scores(labels_true: list[str], labels_pred: list[int]) -> dict:
    keep = [i for i, p in enumerate(labels_pred) if p >= 0]
    t = [labels_true[i] for i in keep]
    p = [labels_pred[i] for i in keep]
    h, c, v = homogeneity_completeness_v_measure(t, p)
    return {"texts": len(labels_true), "clustered": len(keep), "true_intents": len(set(t)),
            "clusters": len(set(p)), "v_measure": round(v, 4), "homogeneity": round(h, 4),
            "completeness": round(c, 4), "adjusted_rand": round(adjusted_rand_score(t, p), 4)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=REPO_ROOT.parent / "shared" / "data")
    parser.add_argument("--timing", type=int, default=10_000)
    args = parser.parse_args()
    settings = Settings.from_env()
    encoder = SentenceTransformerEncoder(settings.embedding_model, onnx_cache=settings.onnx_cache, int8=settings.int8,
                                         threads=settings.model_threads)
    result: dict = {"model": settings.embedding_model, "runtime": settings.model_runtime,
                    "distance_threshold": DEFAULT_DISTANCE, "load_average_before": os.getloadavg(),
                    "cpus": os.cpu_count()}

    texts, intents = read(args.data / "hwu64" / "test.csv")
    t0 = time.perf_counter()
    grouping = group(texts, encoder.encode)
    result["hwu64_test"] = {**scores(intents, grouping.labels), "seconds": round(time.perf_counter() - t0, 2)}
    vectors = encoder.encode(texts)
    sweep = {}
    for distance in (0.5, 0.6, 0.7, 0.8):
        sweep[str(distance)] = scores(intents, [int(x) for x in cluster_vectors(vectors, distance)])
    result["hwu64_threshold_sweep"] = sweep

    texts, intents = read(args.data / "clinc150" / "val.csv", lambda r: r["is_oos"] == "0")
    t0 = time.perf_counter()
    grouping = group(texts, encoder.encode)
    result["clinc150_val_in_scope"] = {**scores(intents, grouping.labels),
                                       "seconds": round(time.perf_counter() - t0, 2)}

    texts, intents = read(args.data / "clinc150" / "train.csv", lambda r: r["is_oos"] == "0")
    rng = np.random.default_rng(0)
    chosen = sorted(rng.choice(len(texts), size=min(args.timing, len(texts)), replace=False))
    texts, intents = [texts[i] for i in chosen], [intents[i] for i in chosen]
    t0 = time.perf_counter()
    vectors = encoder.encode(texts)
    encode_s = time.perf_counter() - t0
    row_of = {t: i for i, t in enumerate(texts)}
    t0 = time.perf_counter()
    grouping = group(texts, lambda batch: vectors[[row_of[t] for t in batch]])  # already encoded: time clustering
    cluster_s = time.perf_counter() - t0
    result[f"timing_{len(texts)}_questions"] = {
        "encode_seconds": round(encode_s, 2), "dedupe_and_cluster_seconds": round(cluster_s, 2),
        "total_seconds": round(encode_s + cluster_s, 2), **scores(intents, grouping.labels)}
    result["load_average_after"] = os.getloadavg()
    save("clustering", result)


if __name__ == "__main__":
    main()

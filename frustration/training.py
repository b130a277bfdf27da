"""Fine-tune the top layers of the base sentence model (plus a linear head) to read frustration.

    faqbot frustration train --train ../shared/data/goemotions/train.csv --out frustration/model

Trains on a labelled CSV (`text`, and a 0/1 column, `is_frustration` by default), keeps a
held-out slice of it to choose the operating point (max F1), and writes the fine-tuned layers
and head as float16 arrays with their metadata. CPU only; the shipped model (the top four layers,
two epochs over GoEmotions' 39k training messages) took 31 minutes on two cores.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from embeddings.encoder import DEFAULT_MODEL
from frustration.evaluation import best_f1_threshold, read_labelled
from frustration.text_model import META_FILE, WEIGHTS_FILE, load_base, mean_pooled_logits

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainingPlan:
    layers: int = 4
    epochs: float = 2.0
    learning_rate: float = 8e-5
    batch_size: int = 32
    held_out: int = 4000
    seed: int = 0


def train(train_csv: Path, out_dir: Path, plan: TrainingPlan = TrainingPlan(), *, text_col: str = "text",
          label_col: str = "is_frustration", base_model: str = DEFAULT_MODEL) -> dict:
    import torch

    torch.manual_seed(plan.seed)
    rng = np.random.default_rng(plan.seed)
    texts, labels = read_labelled(train_csv, text_col, label_col)
    y = labels.astype(np.float32)
    order = rng.permutation(len(texts))
    held, fit = order[:plan.held_out], order[plan.held_out:]

    tokenizer, model = load_base(base_model)
    for p in model.parameters():
        p.requires_grad = False
    top = model.encoder.layer[-plan.layers:]
    for p in top.parameters():
        p.requires_grad = True
    head = torch.nn.Linear(model.config.hidden_size, 1)
    params = [p for p in model.parameters() if p.requires_grad] + list(head.parameters())
    optimizer = torch.optim.AdamW(params, lr=plan.learning_rate)
    steps = int(len(fit) / plan.batch_size * plan.epochs)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min(1.0, (s + 1) / 100) * max(0.0, 1 - s / steps))
    loss_fn = torch.nn.BCEWithLogitsLoss()
    batches = np.concatenate([rng.permutation(fit) for _ in range(int(np.ceil(plan.epochs)))])

    started = time.perf_counter()
    model.train()
    for step in range(steps):
        idx = batches[step * plan.batch_size:(step + 1) * plan.batch_size]
        logits = mean_pooled_logits(tokenizer, model, head, [texts[i] for i in idx])
        loss = loss_fn(logits, torch.from_numpy(y[idx]))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        schedule.step()
        if (step + 1) % 200 == 0:
            log.info("step %d/%d loss %.3f (%.0f s)", step + 1, steps, loss.item(), time.perf_counter() - started)

    model.eval()
    with torch.inference_mode():
        held_scores = np.concatenate([
            torch.sigmoid(mean_pooled_logits(tokenizer, model, head, [texts[i] for i in held[s:s + 128]])).numpy()
            for s in range(0, len(held), 128)])
    threshold, held_f1 = best_f1_threshold(labels[held], held_scores)

    out_dir.mkdir(parents=True, exist_ok=True)
    arrays = {f"layer{i}.{k}": v.detach().numpy().astype(np.float16)
              for i, layer in enumerate(top) for k, v in layer.state_dict().items()}
    arrays.update({f"head.{k}": v.detach().numpy().astype(np.float16) for k, v in head.state_dict().items()})
    np.savez_compressed(out_dir / WEIGHTS_FILE, **arrays)
    meta = {"base_model": base_model, "layers": plan.layers, "threshold": float(threshold),
            "held_out_f1": round(float(held_f1), 4), "trained_on": train_csv.name, "examples": len(fit),
            "epochs": plan.epochs, "learning_rate": plan.learning_rate,
            "seconds": round(time.perf_counter() - started)}
    (out_dir / META_FILE).write_text(json.dumps(meta, indent=2) + "\n")
    return meta

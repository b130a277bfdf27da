"""Transformer encoders on ONNX Runtime: the same weights, exported once from PyTorch, run without PyTorch.

A process that finds the export in the cache imports neither PyTorch nor transformers: the texts are tokenised
by the model's own `tokenizer.json` on Hugging Face's `tokenizers` (the Rust library transformers' fast
tokenizers wrap, so the same ids) and the weights are named by a hash of the model's files, not of PyTorch's
tensors. An export that is missing is made in a child process (`python -m embeddings.export`, the same step
`faqbot models export` runs at build time), so the service's memory never holds PyTorch (~400 MB).

PyTorch pays a Python call per layer and op; for the short texts of a chat that overhead is most of a
forward pass (12 ms of CPU for one question on the shop's machine, 6 ms on ONNX Runtime; measured in
docs/architecture.md). The model is exported from the loaded PyTorch module itself — whatever weights
were loaded, fine-tuned layers included — to a file named by a hash of those weights, so it is exported
once per model version and reused by later starts. The outputs match PyTorch's to float rounding
(the accuracy gates in the test suite and `bench.retrieval_eval` / `bench.frustration_eval` measure it).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def weights_fingerprint(module: Any) -> str:
    """A hash of every parameter and buffer of a PyTorch module (which weights an export holds)."""
    digest = hashlib.sha256()
    for name, tensor in sorted(module.state_dict().items()):
        digest.update(name.encode())
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()[:20]


Featurize = Callable[[list[str]], Mapping[str, Any]]  # texts -> input_ids, attention_mask (, token_type_ids)


def _as_int64(features: Mapping[str, Any]) -> dict[str, np.ndarray]:
    feed = {name: np.asarray(features[name].numpy() if hasattr(features[name], "numpy") else features[name],
                             dtype=np.int64) for name in INPUTS if name in features}
    if "token_type_ids" not in feed:
        feed["token_type_ids"] = np.zeros_like(feed["input_ids"])
    return feed


def _export(model: Any, featurize: Featurize, path: Path) -> None:
    import torch

    class LastHiddenState(torch.nn.Module):
        def __init__(self, inner: Any) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            return self.inner(input_ids=input_ids, attention_mask=attention_mask,
                              token_type_ids=token_type_ids).last_hidden_state

    example = {name: torch.from_numpy(value) for name, value in
               _as_int64(featurize(["an example question", "another, longer example question to export with"])).items()}
    axes = {name: {0: "batch", 1: "tokens"} for name in (*INPUTS, "last_hidden_state")}
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    os.close(fd)
    try:
        with torch.inference_mode():
            torch.onnx.export(LastHiddenState(model).eval(), tuple(example[n] for n in INPUTS), tmp,
                              input_names=list(INPUTS), output_names=["last_hidden_state"], dynamic_axes=axes,
                              opset_version=17, dynamo=False)
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)


def _quantized(path: Path) -> Path:
    """The model with its weights quantized to 8-bit integers per output channel (made once, next to it)."""
    quantized = path.with_name(path.stem + "-int8.onnx")
    if not quantized.exists():
        from onnxruntime.quantization import QuantType, quantize_dynamic

        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=quantized.name, suffix=".tmp")
        os.close(fd)
        try:
            quantize_dynamic(str(path), tmp, weight_type=QuantType.QInt8, per_channel=True)
            os.replace(tmp, quantized)
        finally:
            Path(tmp).unlink(missing_ok=True)
    return quantized


# What one more forward pass costs, in tokens of padded input: a pass of MiniLM-L6 on ONNX Runtime (1 thread)
# costs ~1.9 ms plus ~0.2 ms per token of the padded batch (batch x longest text), measured on this machine.
PASS_OVERHEAD_TOKENS = 9


def length_groups(lengths: Sequence[int], overhead: int = PASS_OVERHEAD_TOKENS) -> list[np.ndarray]:
    """The rows of a batch split into forward passes of texts of similar length, so that little of the work is
    padding: a pass costs ~`overhead` + rows x its longest text (in tokens), and the split with the least total
    is chosen among the runs of the texts sorted by length (exactly, by dynamic programming: a batch is at most
    a few dozen texts). One text or equal lengths: one pass. Under load a batch mixes "thanks" and paragraphs;
    padded together, most of the pass would be padding."""
    n = len(lengths)
    order = sorted(range(n), key=lengths.__getitem__)
    best = [0.0] + [float("inf")] * n  # best[j]: least cost of the j shortest texts
    cut = [0] * (n + 1)
    for j in range(1, n + 1):
        longest = lengths[order[j - 1]]
        for i in range(j):
            cost = best[i] + overhead + (j - i) * longest
            if cost < best[j]:
                best[j], cut[j] = cost, i
    groups = []
    j = n
    while j > 0:
        groups.append(np.array(order[cut[j]:j], dtype=np.int64))
        j = cut[j]
    return groups[::-1]


def mean_pooled_by_length(session: Any, feed: Mapping[str, np.ndarray]) -> np.ndarray:
    """The attention-masked mean of `session`'s first output, one forward pass per group of texts of similar
    length (`length_groups`), each trimmed to its longest text: little of the work is padding. `feed` holds the
    session's inputs, rows = texts, with an `attention_mask` of 0/1."""
    lengths = feed["attention_mask"].sum(axis=1)
    out: np.ndarray | None = None
    for rows in length_groups(lengths.tolist()):
        width = int(lengths[rows].max())
        part = {name: value[rows, :width] for name, value in feed.items()}
        hidden = session.run(None, part)[0]
        mask = part["attention_mask"][..., None].astype(np.float32)
        pooled = (hidden * mask).sum(axis=1) / np.maximum(mask.sum(axis=1), 1e-9)
        if out is None:
            out = np.empty((len(lengths), pooled.shape[1]), dtype=np.float32)
        out[rows] = pooled
    return out


class OnnxTransformer:
    """A Hugging Face transformer (BERT-like: input ids, attention mask, token types) on ONNX Runtime:
    texts in (through `featurize`, the model's own tokenisation), the attention-masked mean of the last
    hidden states out."""

    def __init__(self, path: Path, featurize: Featurize, *, threads: int = 1) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = max(1, threads)
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.enable_cpu_mem_arena = False  # small inputs: the arena would only hold on to memory
        self._session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self._featurize = featurize
        self._lock = threading.Lock()  # a fast tokenizer must not be called from two threads at once
        self.path = path

    @classmethod
    def from_torch(cls, model: Any, featurize: Featurize, cache_dir: Path, name: str, *,
                   threads: int = 1, int8: bool = False) -> OnnxTransformer:
        """The module's ONNX export from `cache_dir` (made there first if these weights were never exported).

        The PyTorch module's weights are released afterwards (moved to the "meta" device): ONNX Runtime has
        its own copy, and keeping both would cost the process the model's size again.
        """
        path = Path(cache_dir) / f"{name}-{weights_fingerprint(model)}.onnx"
        if not path.exists():
            log.info("exporting %s to ONNX: %s", name, path)
            _export(model, featurize, path)
        if int8:
            path = _quantized(path)
        runtime = cls(path, featurize, threads=threads)
        model.to("meta")
        return runtime

    def mean_pooled(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        with self._lock:
            feed = _as_int64(self._featurize(list(texts)))
        return mean_pooled_by_length(self._session, feed)


class ExportMissing(RuntimeError):
    """The model's ONNX export is not in the cache and cannot be made here (no PyTorch)."""


def files_fingerprint(*paths: Path) -> str:
    """A hash of files' names and contents (folders: every file under them, README files aside)."""
    digest = hashlib.sha256()
    for path in paths:
        files = sorted(f for f in Path(path).rglob("*") if f.is_file()) if Path(path).is_dir() else [Path(path)]
        for file in files:
            if file.name.lower().startswith("readme"):
                continue
            digest.update(file.name.encode() + b"\0")
            with file.open("rb") as fh:
                while chunk := fh.read(1 << 20):
                    digest.update(chunk)
    return digest.hexdigest()[:20]


def cached_export(path: Path, export_args: Sequence[str]) -> Path:
    """`path` once it exists: made first, when missing, by `python -m embeddings.export *export_args --out path`
    in a child process (PyTorch loads there, never in the caller)."""
    if path.exists():
        return path
    from importlib.util import find_spec

    if find_spec("torch") is None or find_spec("onnx") is None:
        raise ExportMissing(f"the ONNX export {path.name} is not in {path.parent} and PyTorch (or onnx) is not "
                            "installed here to make it: run `faqbot models export` where it is (the build step "
                            "does), or copy the model cache folder (FAQBOT_MODEL_CACHE_DIR) from there")
    log.info("exporting to ONNX (once, in a child process): %s", path)
    done = subprocess.run([sys.executable, "-m", "embeddings.export", *export_args, "--out", str(path)],
                          capture_output=True, text=True, env={**os.environ, "HF_HUB_OFFLINE": "1"})
    if done.returncode != 0 or not path.exists():
        raise ExportMissing(f"exporting {path.name} failed:\n{done.stderr[-2000:]}")
    return path


class TokenizerFeatures:
    """A Hugging Face `tokenizer.json` on the `tokenizers` library: texts -> input_ids, attention_mask,
    token_type_ids (int64), padded to the longest text, truncated to `max_length` tokens (special ones
    included) — what transformers' fast tokenizer returns for `padding=True, truncation=True`."""

    def __init__(self, tokenizer_file: Path, max_length: int) -> None:
        from tokenizers import Tokenizer

        self._tokenizer = Tokenizer.from_file(str(tokenizer_file))
        self._tokenizer.enable_truncation(max_length=max_length)
        pad = self._tokenizer.padding or {}
        self._tokenizer.enable_padding(pad_id=pad.get("pad_id", 0), pad_type_id=pad.get("pad_type_id", 0),
                                       pad_token=pad.get("pad_token", "[PAD]"))
        self.max_length = max_length

    def __call__(self, texts: list[str]) -> dict[str, np.ndarray]:
        encodings = self._tokenizer.encode_batch(texts)
        return {"input_ids": np.array([e.ids for e in encodings], dtype=np.int64),
                "attention_mask": np.array([e.attention_mask for e in encodings], dtype=np.int64),
                "token_type_ids": np.array([e.type_ids for e in encodings], dtype=np.int64)}


def mean_pooling_model(location: str | Path) -> int | None:
    """The max_seq_length of a sentence-transformers folder made of a BERT-like transformer, mean pooling and
    (optionally) normalisation with a `tokenizer.json` — what runs on ONNX Runtime without sentence-transformers;
    None for any other model (it loads through sentence-transformers)."""
    folder = Path(location)
    try:
        modules = json.loads((folder / "modules.json").read_text())
        kinds = [m["type"].rsplit(".", 1)[-1] for m in modules]
        pooling = json.loads((folder / modules[1]["path"] / "config.json").read_text())
        config = json.loads((folder / "sentence_bert_config.json").read_text())
    except (OSError, ValueError, KeyError, IndexError):
        return None
    modes = [k for k, v in pooling.items() if k.startswith("pooling_mode") and v]
    if kinds[:2] != ["Transformer", "Pooling"] or any(k != "Normalize" for k in kinds[2:]) \
            or modes != ["pooling_mode_mean_tokens"] or config.get("do_lower_case") \
            or not (folder / "tokenizer.json").is_file() or modules[0].get("path", "") != "":
        return None
    return int(config.get("max_seq_length") or 512)


def onnx_available() -> bool:
    """ONNX Runtime and the exporter's `onnx` are installed (found, not imported: `onnx` costs memory and is
    only needed when a model is exported)."""
    from importlib.util import find_spec

    return find_spec("onnxruntime") is not None and find_spec("onnx") is not None

"""Transformer encoders on ONNX Runtime: the same weights, exported once from PyTorch, run without PyTorch.

PyTorch pays a Python call per layer and op; for the short texts of a chat that overhead is most of a
forward pass (12 ms of CPU for one question on the shop's machine, 6 ms on ONNX Runtime; measured in
docs/architecture.md). The model is exported from the loaded PyTorch module itself — whatever weights
were loaded, fine-tuned layers included — to a file named by a hash of those weights, so it is exported
once per model version and reused by later starts. The outputs match PyTorch's to float rounding
(the accuracy gates in the test suite and `bench.retrieval_eval` / `bench.frustration_eval` measure it).
"""

from __future__ import annotations

import hashlib
import logging
import os
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
        hidden = self._session.run(None, feed)[0]
        mask = feed["attention_mask"][..., None].astype(np.float32)
        return (hidden * mask).sum(axis=1) / np.maximum(mask.sum(axis=1), 1e-9)


def onnx_available() -> bool:
    """ONNX Runtime and the exporter's `onnx` are installed (found, not imported: `onnx` costs memory and is
    only needed when a model is exported)."""
    from importlib.util import find_spec

    return find_spec("onnxruntime") is not None and find_spec("onnx") is not None

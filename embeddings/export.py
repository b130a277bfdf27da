"""Export a model to ONNX (PyTorch and transformers load here, in this process only).

    python -m embeddings.export st --model LOCATION --out FILE
    python -m embeddings.export frustration --model-dir DIR --base-model NAME --out FILE
    python -m embeddings.export e5-zh --model-dir DIR --out FILE

The service runs its encoders on ONNX Runtime from exports in the model cache (embeddings/onnx.py) and starts
this as a child process for an export that is missing, so it never imports PyTorch itself; `faqbot models
export` makes every export the configuration needs ahead of time (the build step).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path


def export_sentence_transformer(location: str, out: Path) -> None:
    from sentence_transformers import SentenceTransformer

    from embeddings.onnx import _export

    model = SentenceTransformer(location, device="cpu")
    _export(model[0].auto_model, model.preprocess, out)


def export_frustration(model_dir: Path, base_model: str, out: Path) -> None:
    from embeddings.onnx import _export
    from frustration.text_model import MAX_TOKENS, fine_tuned_torch_model

    tokenizer, model, _ = fine_tuned_torch_model(model_dir, base_model)
    _export(model, lambda texts: tokenizer(texts, padding=True, truncation=True, max_length=MAX_TOKENS,
                                           return_tensors="np"), out)


def export_chinese(model_dir: Path, out: Path) -> None:
    from embeddings.e5_weights import E5File
    from embeddings.zh_encoder import export_onnx

    export_onnx(model_dir, E5File(), out)


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("kind", choices=["st", "frustration", "e5-zh"])
    parser.add_argument("--model", help="st: the sentence-transformers folder")
    parser.add_argument("--model-dir", type=Path, help="frustration / e5-zh: the fine-tuned layers' folder")
    parser.add_argument("--base-model", help="frustration: the base model's name or folder")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    if args.kind == "st":
        export_sentence_transformer(args.model, args.out)
    elif args.kind == "frustration":
        export_frustration(args.model_dir, args.base_model, args.out)
    else:
        export_chinese(args.model_dir, args.out)


if __name__ == "__main__":
    main()

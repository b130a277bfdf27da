"""Resident memory of the knowledge-base search's encoder, one fresh process per model.

    .venv/bin/python -m bench.encoder_memory [--models sentence-transformers/all-MiniLM-L6-v2,minilm+e5-zh]

Each model is loaded in its own Python process, as the service loads it (`faqbot.wiring.retrieval_encoder`,
ONNX Runtime, the export already in the model cache), builds the shop's knowledge base and answers the
latency benchmark's questions; the process's resident set (VmRSS) and peak (VmHWM) are read from /proc after
the imports, after loading, and at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys


def _rss_mb() -> dict[str, float]:
    fields = {}
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            name, _, value = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                fields[name] = round(int(value.split()[0]) / 1024, 1)
    return fields


def child(model: str) -> dict:
    from dataclasses import replace

    from bench.retrieval_latency import QUERIES
    from faqbot.settings import Settings
    from faqbot.wiring import fusion_weights, retrieval_encoder
    from knowledge_base.markdown import load_folder
    from knowledge_base.retrieval import HybridRetriever

    settings = replace(Settings.from_env(), retrieval_model=model)
    imported = _rss_mb()
    encoder = retrieval_encoder(settings)
    loaded = _rss_mb()
    retriever = HybridRetriever.build(load_folder(settings.kb_dir), encoder,
                                      weights=fusion_weights(settings, encoder.model_name))
    for _ in range(3):
        for q in QUERIES:
            retriever.search(q)
    return {"model": encoder.model_name, "after_imports": imported, "after_load": loaded, "at_end": _rss_mb()}


def main() -> None:
    from bench.common import save

    parser = argparse.ArgumentParser()
    parser.add_argument("--models", default="sentence-transformers/all-MiniLM-L6-v2,minilm+e5-zh")
    parser.add_argument("--child")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child)))
        return
    rows = []
    for model in args.models.split(","):
        out = subprocess.run([sys.executable, "-m", "bench.encoder_memory", "--child", model], check=True,
                             capture_output=True, text=True).stdout
        rows.append(json.loads(out.strip().splitlines()[-1]))
    save("encoder_memory", {"load_average": os.getloadavg(), "by_model": rows})


if __name__ == "__main__":
    main()

"""Frustration detector quality and speed.

    .venv/bin/python -m bench.frustration_eval [--data ../shared/data]

Quality at the configured threshold (FAQBOT_FRUSTRATION_MEDIUM): GoEmotions dev (`is_frustration`),
Bitext customer-support utterances (`complaint` = 1, a sample of the other intents = 0), and the
shop's own EN/ZH messages (frustration/data/shop_messages.csv, written alongside the word cues, so
optimistic). Speed: one `assess` call per message, as the web service makes it.
"""

from __future__ import annotations

import argparse
import csv
import random
import tempfile
import time
from pathlib import Path

from bench.common import save, summary_ms
from faqbot.settings import REPO_ROOT, Settings
from frustration import ConversationSoFar
from frustration.detector import load_detector
from frustration.evaluation import read_labelled, report
from knowledge_base.language import detect_language


def bitext_sample(path: Path, negatives: int = 1500, seed: int = 7) -> Path:
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    complaints = [r["utterance"] for r in rows if r["intent"] == "complaint"]
    others = random.Random(seed).sample([r["utterance"] for r in rows if r["intent"] != "complaint"], negatives)
    out = Path(tempfile.mkdtemp()) / "bitext_complaints.csv"
    with out.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["text", "label"])
        writer.writerows([(t, 1) for t in complaints] + [(t, 0) for t in others])
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=REPO_ROOT.parent / "shared" / "data")
    args = parser.parse_args()
    settings = Settings.from_env()
    detector = load_detector(settings.frustration_model, settings.embedding_model, settings.frustration_thresholds,
                             onnx_cache=settings.onnx_cache, int8=settings.int8, threads=settings.model_threads)
    sets = {
        "goemotions_dev": (args.data / "goemotions" / "dev.csv", "is_frustration"),
        "bitext_complaint_vs_other": (bitext_sample(args.data / "bitext_cs" / "bitext_customer_support_20k.csv"),
                                      "label"),
        "shop_messages": (REPO_ROOT / "frustration" / "data" / "shop_messages.csv", "is_frustration"),
    }
    quality = {}
    for name, (path, label_col) in sets.items():
        texts, labels = read_labelled(path, "text", label_col)
        started = time.perf_counter()
        scores = detector.text_scores(texts)
        quality[name] = {**report(labels, scores, detector.thresholds.medium).to_json(),
                         "seconds": round(time.perf_counter() - started, 1)}
        if name == "shop_messages":
            for language in ("en", "zh"):
                keep = [i for i, t in enumerate(texts) if detect_language(t) == language]
                quality[f"{name}_{language}"] = report(labels[keep], scores[keep], detector.thresholds.medium).to_json()
    texts, _ = read_labelled(sets["shop_messages"][0], "text", "is_frustration")
    so_far = ConversationSoFar(earlier_questions=tuple(texts[:8]), bot_failures_in_a_row=1)
    detector.assess("warm-up", so_far)
    timings = []
    for text in texts:
        started = time.perf_counter()
        detector.assess(text, so_far)
        timings.append(time.perf_counter() - started)
    save("frustration", {"threshold": detector.thresholds.medium, "high": detector.thresholds.high,
                         "model": detector_metadata(settings), "quality": quality,
                         "assess_latency_ms": summary_ms(timings)})


def detector_metadata(settings: Settings) -> dict:
    import json

    return json.loads((settings.frustration_model / "frustration.json").read_text())


if __name__ == "__main__":
    main()

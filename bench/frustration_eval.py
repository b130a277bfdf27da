"""Frustration detector quality and speed.

    .venv/bin/python -m bench.frustration_eval [--data ../shared/data]

Quality at the configured threshold (FAQBOT_FRUSTRATION_MEDIUM): GoEmotions dev (`is_frustration`),
Bitext customer-support utterances (`complaint` = 1, a sample of the other intents = 0), the Chinese
held-out split (`frustration/zh_training.py`: waimai reviews, STC-3 helpdesk messages, plain questions —
never trained on), the same converted to traditional Chinese, and the shop's own EN/ZH messages
(frustration/data/shop_messages.csv, written alongside the word cues, so optimistic). `by_language`
collects the F1 per language. Speed: one `assess` call per message, as the web service makes it.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import tempfile
import time
from pathlib import Path

from bench.common import save, summary_ms
from faqbot.settings import REPO_ROOT, Settings
from frustration import ConversationSoFar
from frustration.detector import load_detector
from frustration.evaluation import read_labelled, report
from frustration.zh_training import held_out_split
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
    parser.add_argument("--only", choices=("zh",), help="only the Chinese sets (seconds, not minutes)")
    args = parser.parse_args()
    settings = Settings.from_env()
    detector = load_detector(settings.frustration_model, settings.embedding_model, settings.frustration_thresholds,
                             onnx_cache=settings.onnx_cache, int8=settings.int8, threads=settings.model_threads,
                             zh_model_dir=settings.frustration_zh_model)
    zh_held_out, zh_held_out_traditional = chinese_held_out(args.data)
    sets = {
        "goemotions_dev": (args.data / "goemotions" / "dev.csv", "is_frustration"),
        "bitext_complaint_vs_other": (bitext_sample(args.data / "bitext_cs" / "bitext_customer_support_20k.csv"),
                                      "label"),
        "zh_held_out": (zh_held_out, "label"),
        "zh_held_out_traditional": (zh_held_out_traditional, "label"),
        "shop_messages": (REPO_ROOT / "frustration" / "data" / "shop_messages.csv", "is_frustration"),
    }
    if args.only == "zh":
        sets = {k: v for k, v in sets.items() if k.startswith("zh_") or k == "shop_messages"}
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
        if name == "zh_held_out":
            sources = [row["source"] for row in csv.DictReader(path.open(encoding="utf-8"))]
            for source in sorted(set(sources)):
                keep = [i for i, s in enumerate(sources) if s == source]
                part = report(labels[keep], scores[keep], detector.thresholds.medium).to_json()
                if not labels[keep].any():
                    part["flagged"] = round(float((scores[keep] >= detector.thresholds.medium).mean()), 4)
                quality[f"{name}_{source}"] = part
    texts, _ = read_labelled(sets["shop_messages"][0], "text", "is_frustration")
    so_far = ConversationSoFar(earlier_questions=tuple(texts[:8]), bot_failures_in_a_row=1)
    detector.assess("warm-up", so_far)
    timings = []
    for text in texts:
        started = time.perf_counter()
        detector.assess(text, so_far)
        timings.append(time.perf_counter() - started)
    by_language = {"en": {k: quality[k]["f1"] for k in ("goemotions_dev", "bitext_complaint_vs_other",
                                                        "shop_messages_en") if k in quality},
                   "zh": {k: quality[k]["f1"] for k in ("zh_held_out", "zh_held_out_traditional",
                                                        "zh_held_out_waimai", "zh_held_out_stc3",
                                                        "shop_messages_zh") if k in quality}}
    result = {"threshold": detector.thresholds.medium, "high": detector.thresholds.high,
              "model": detector_metadata(settings), "zh_model": zh_metadata(settings), "by_language": by_language,
              "quality": quality, "assess_latency_ms": summary_ms(timings), "load": os.getloadavg()}
    if args.only is None:
        save("frustration", result)
    else:  # a partial run does not replace the saved results
        print(json.dumps(result, indent=2, ensure_ascii=False))


def chinese_held_out(data: Path) -> tuple[Path, Path]:
    """The Chinese held-out split as CSV files: as it is, and converted to traditional characters."""
    from faqbot.chinese_script import TRADITIONAL, in_script

    rows = held_out_split(data)
    folder = Path(tempfile.mkdtemp())
    paths = folder / "zh_held_out.csv", folder / "zh_held_out_traditional.csv"
    for path, convert in zip(paths, (lambda t: t, lambda t: in_script(t, TRADITIONAL)), strict=True):
        with path.open("w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(["text", "label", "source"])
            writer.writerows((convert(r.text), r.label, r.source) for r in rows)
    return paths


def zh_metadata(settings: Settings) -> dict:
    return json.loads((settings.frustration_zh_model / "zh_frustration.json").read_text(encoding="utf-8"))


def detector_metadata(settings: Settings) -> dict:
    return json.loads((settings.frustration_model / "frustration.json").read_text())


if __name__ == "__main__":
    main()

"""Rasa NLU intent accuracy by 5-fold cross-validation, overall and per language.

    .venv/bin/python -m bench.nlu_cross_validation [--nlu bot/data/nlu.yml] [--folds 5] [--no-save]

Runs `rasa test nlu --cross-validation` (the real Rasa, `config.yml`'s pipeline) with every prediction
written out, then splits the held-out predictions by the language of the example: `en`, `zh` (all Chinese)
and, within it, `zh-Hant` (written with traditional characters) and `zh-Hans` (simplified, or characters
both scripts share). Note: a traditional example whose simplified twin is in the training folds is easier
than a new one — `zh-Hant` is optimistic in that way. Saves `bench/results/nlu_cross_validation.json`.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import tempfile
import time
from collections import Counter
from pathlib import Path

from bench.common import save
from faqbot.chinese_script import TRADITIONAL, detect_script
from faqbot.launcher import default_rasa_bin, rasa_env
from faqbot.settings import REPO_ROOT
from knowledge_base.language import detect_language


def language_of(text: str) -> str:
    if detect_language(text) != "zh":
        return "en"
    return "zh-Hant" if detect_script(text) == TRADITIONAL else "zh-Hans"


def accuracy_by_language(predictions: list[dict]) -> dict[str, dict]:
    """Accuracy per language from Rasa's successes + errors (each has `text`, `intent`, `intent_prediction`)."""
    total, right = Counter(), Counter()
    for p in predictions:
        language = language_of(p["text"])
        ok = p["intent"] == (p.get("intent_prediction") or {}).get("name")
        for key in {language, "zh" if language.startswith("zh") else language}:
            total[key] += 1
            right[key] += ok
    return {k: {"examples": total[k], "accuracy": round(right[k] / total[k], 4)} for k in sorted(total)}


def cross_validate(nlu: Path, folds: int, out: Path) -> tuple[dict, list[dict]]:
    result = subprocess.run(
        [str(default_rasa_bin()), "test", "nlu", "--nlu", str(nlu), "--config", "config.yml", "--cross-validation",
         "--folds", str(folds), "--successes", "--no-plot", "--out", str(out)],
        cwd=REPO_ROOT, env=rasa_env(), capture_output=True, text=True, timeout=3600)
    if result.returncode != 0:
        raise RuntimeError(result.stdout[-3000:] + result.stderr[-3000:])
    report = json.loads((out / "intent_report.json").read_text())
    predictions = []
    for name in ("intent_successes.json", "intent_errors.json"):
        path = out / name
        if path.exists():
            predictions += json.loads(path.read_text())
    return report, predictions


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--nlu", type=Path, default=REPO_ROOT / "bot" / "data" / "nlu.yml")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--no-save", action="store_true", help="print only (e.g. for another nlu.yml)")
    args = parser.parse_args()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as out:
        report, predictions = cross_validate(args.nlu.resolve(), args.folds, Path(out))
    intents = {k: {m: round(v[m], 3) if isinstance(v[m], float) else v[m]
                   for m in ("precision", "recall", "f1-score", "support")}
               for k, v in report.items() if isinstance(v, dict) and "support" in v and not k.endswith("avg")}
    result = {
        "command": f"rasa test nlu --nlu {os.path.relpath(args.nlu.resolve(), REPO_ROOT)} --config config.yml "
                   f"--cross-validation --folds {args.folds} --successes",
        "test_accuracy": round(report["accuracy"], 4),
        "test_f1_weighted": round(report["weighted avg"]["f1-score"], 4),
        "by_language": accuracy_by_language(predictions),
        "per_intent": intents,
        "seconds": round(time.perf_counter() - started),
        "load": os.getloadavg(),
    }
    if args.no_save:
        print(json.dumps(result, indent=2, ensure_ascii=False))
    else:
        save("nlu_cross_validation", result)


if __name__ == "__main__":
    main()

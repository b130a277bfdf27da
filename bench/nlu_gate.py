"""Rasa NLU intent accuracy per language on phrasings it was not trained on (`tests/data/nlu_gate.yml`).

    .venv/bin/python -m bench.nlu_gate [--model MODEL.tar.gz] [--before-model OTHER.tar.gz]

The same sample and measure as the quality gate (`tests/integration/test_quality_gate_dialogue.py`), with the
model trained from the current data (or `--model`); `--before-model` also measures another model (e.g. one
trained from an earlier `bot/data/nlu.yml`) for comparison. Saves `bench/results/nlu_gate.json`.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import tempfile
from pathlib import Path

from bench.common import save
from bench.nlu_cross_validation import accuracy_by_language
from faqbot.launcher import default_rasa_bin, ensure_model, rasa_env
from faqbot.settings import REPO_ROOT

SAMPLE = REPO_ROOT / "tests" / "data" / "nlu_gate.yml"


def measure(model: Path) -> dict:
    with tempfile.TemporaryDirectory() as out:
        result = subprocess.run(
            [str(default_rasa_bin()), "test", "nlu", "--model", str(model), "--nlu", str(SAMPLE), "--successes",
             "--no-plot", "--out", out], cwd=REPO_ROOT, env=rasa_env(), capture_output=True, text=True, timeout=900)
        if result.returncode != 0:
            raise RuntimeError(result.stdout[-3000:] + result.stderr[-3000:])
        predictions = [p for name in ("intent_successes.json", "intent_errors.json") if (Path(out) / name).exists()
                       for p in json.loads((Path(out) / name).read_text())]
    errors = [{"text": p["text"], "intent": p["intent"], "predicted": p["intent_prediction"]["name"]}
              for p in predictions if p["intent"] != p["intent_prediction"]["name"]]
    return {"model": model.name, "by_language": accuracy_by_language(predictions), "errors": errors}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", type=Path, help="default: the model trained from the current data")
    parser.add_argument("--before-model", type=Path)
    args = parser.parse_args()
    model = args.model or ensure_model(REPO_ROOT / "var" / "models", default_rasa_bin())
    result = {"sample": str(SAMPLE.relative_to(REPO_ROOT)), "after": measure(model)}
    if args.before_model:
        result["before"] = measure(args.before_model)
    save("nlu_gate", {**result, "load": os.getloadavg()})


if __name__ == "__main__":
    main()

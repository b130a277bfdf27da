"""Quality gate for the dialogue side: the shipped frustration detector on Chinese, and the shipped Rasa NLU
per language, each on a fixed small sample it was not trained on. A change that makes either worse than the
targets fails the suite.

* `tests/data/zh_frustration_sample.csv`: 300 messages drawn (seeded) from the held-out split of
  `frustration/zh_training.py` (waimai reviews, STC-3 helpdesk messages, plain questions); the same messages
  converted to traditional characters must score the same.
* `tests/data/nlu_gate.yml`: 98 phrasings written for the gate, in English, simplified and traditional
  Chinese, none of them in `bot/data/nlu.yml`, read by the real trained Rasa model.
"""

import json
import subprocess

import numpy as np
import pytest
import yaml

from bench.nlu_cross_validation import accuracy_by_language
from faqbot.chinese_script import TRADITIONAL, in_script
from faqbot.launcher import default_rasa_bin, rasa_env
from faqbot.settings import REPO_ROOT, Settings
from frustration.detector import load_detector
from frustration.evaluation import read_labelled, report
from tests.live import trained_model

DATA = REPO_ROOT / "tests" / "data"
ZH_FRUSTRATION_F1 = 0.75  # issue 12's target on Chinese data the model has not seen
PLAIN_QUESTIONS_FLAGGED = 0.05  # at most this share of plain questions may read as frustrated
# per-language intent accuracy on the unseen phrasings; measured 2026-12-01 with the shipped data:
# en 0.919 (37), zh 0.934 (61), zh-Hans 0.895 (38), zh-Hant 1.0 (23); with main's data before the Chinese
# examples were added (7025114): en 0.919, zh 0.885, zh-Hans 0.921, zh-Hant 0.826 — bench/results/nlu_gate.json
NLU_ACCURACY = {"en": 0.85, "zh": 0.85, "zh-Hans": 0.80, "zh-Hant": 0.80}


@pytest.fixture(scope="module")
def detector():
    settings = Settings()  # as the product runs it
    return load_detector(settings.frustration_model, settings.embedding_model, settings.frustration_thresholds,
                         onnx_cache=settings.onnx_cache, zh_model_dir=settings.frustration_zh_model)


@pytest.mark.parametrize("script", ["simplified", "traditional"])
def test_chinese_frustration_f1_holds_on_unseen_messages(detector, script):
    texts, labels = read_labelled(DATA / "zh_frustration_sample.csv", "text", "label")
    if script == "traditional":
        texts = [in_script(t, TRADITIONAL) for t in texts]
        assert sum(t != o for t, o in zip(texts, read_labelled(DATA / "zh_frustration_sample.csv", "text",
                                                                 "label")[0], strict=True)) > 200
    scores = detector.text_scores(texts)
    result = report(labels, scores, detector.thresholds.medium)
    assert result.f1 >= ZH_FRUSTRATION_F1, result
    plain = np.array([row == "questions" for row in _sources()])
    assert (scores[plain] >= detector.thresholds.medium).mean() <= PLAIN_QUESTIONS_FLAGGED


def _sources() -> list[str]:
    import csv

    with (DATA / "zh_frustration_sample.csv").open(encoding="utf-8") as f:
        return [row["source"] for row in csv.DictReader(f)]


def _examples(path) -> list[str]:
    return [line.strip()[2:] for item in yaml.safe_load(path.read_text(encoding="utf-8"))["nlu"]
            if "intent" in item for line in item["examples"].splitlines() if line.strip().startswith("- ")]


def test_the_gate_phrasings_are_not_training_data():
    gate = _examples(DATA / "nlu_gate.yml")
    assert len(gate) >= 90 and not set(gate) & set(_examples(REPO_ROOT / "bot" / "data" / "nlu.yml"))


def test_nlu_intent_accuracy_per_language_holds_on_unseen_phrasings(tmp_path):
    result = subprocess.run(
        [str(default_rasa_bin()), "test", "nlu", "--model", str(trained_model()), "--nlu",
         str(DATA / "nlu_gate.yml"), "--successes", "--no-plot", "--out", str(tmp_path)],
        cwd=REPO_ROOT, env=rasa_env(), capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    predictions = [p for name in ("intent_successes.json", "intent_errors.json") if (tmp_path / name).exists()
                   for p in json.loads((tmp_path / name).read_text())]
    assert len(predictions) == len(_examples(DATA / "nlu_gate.yml"))
    by_language = accuracy_by_language(predictions)
    errors = [(p["text"], p["intent"], p["intent_prediction"]["name"]) for p in predictions
              if p["intent"] != p["intent_prediction"]["name"]]
    for language, target in NLU_ACCURACY.items():
        assert by_language[language]["accuracy"] >= target, (language, by_language, errors)

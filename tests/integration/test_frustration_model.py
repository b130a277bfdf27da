"""The shipped frustration model and `faqbot eval frustration`, for real."""

import json
import subprocess
import sys

import numpy as np
import pytest

from faqbot.settings import REPO_ROOT, Settings
from frustration import Level, Reason
from frustration.detector import load_detector

SHOP_MESSAGES = REPO_ROOT / "frustration" / "data" / "shop_messages.csv"


def test_the_real_text_model_tells_anger_from_thanks():
    settings = Settings()
    detector = load_detector(settings.frustration_model, settings.embedding_model, settings.frustration_thresholds,
                             onnx_cache=settings.onnx_cache)
    angry, calm = detector.text_scores(["This is the worst service ever, I'm furious", "Thanks, that was helpful"])
    assert angry > 0.8 > 0.2 > calm
    assert detector.assess("I've asked three times. Useless!!!").level is not Level.LOW


def test_the_model_scores_the_same_on_onnx_runtime_as_on_pytorch():
    from frustration.text_model import FineTunedScorer

    settings = Settings()
    texts = ["This is the worst service ever, I'm furious", "Thanks, that was helpful", "where is my parcel?",
             "I've asked three times. Useless!!!", "no", "   "]
    onnx = FineTunedScorer(settings.frustration_model, settings.embedding_model, onnx_cache=settings.onnx_cache)
    torch = FineTunedScorer(settings.frustration_model, settings.embedding_model)
    assert onnx.runtime == "onnx" and torch.runtime == "torch"
    assert np.abs(onnx.score(texts) - torch.score(texts)).max() < 1e-4


def test_eval_frustration_prints_and_saves_the_metrics(tmp_path):
    out = tmp_path / "result.json"
    result = subprocess.run(
        [sys.executable, "-m", "faqbot.cli", "eval", "frustration", "--test", str(SHOP_MESSAGES),
         "--label-col", "is_frustration", "--json", str(out)],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    printed = json.loads(result.stdout[result.stdout.index("{"):])
    assert printed == json.loads(out.read_text())
    assert printed["examples"] == 105 and printed["threshold"] == 0.5
    assert printed["f1"] >= 0.8 and printed["roc_auc"] >= 0.9


def test_eval_frustration_rejects_a_file_without_the_label_column(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "faqbot.cli", "eval", "frustration", "--test", str(SHOP_MESSAGES)],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 2 and "no column 'label'" in result.stderr


def test_training_writes_a_model_the_detector_loads(tmp_path):
    from frustration.text_model import FineTunedScorer
    from frustration.training import TrainingPlan, train

    meta = train(SHOP_MESSAGES, tmp_path / "model", TrainingPlan(layers=1, epochs=1, batch_size=8, held_out=30))
    assert meta["layers"] == 1 and 0 < meta["threshold"] < 1 and meta["examples"] == 75
    scores = FineTunedScorer(tmp_path / "model").score(["I'm furious", "thanks"])
    assert scores.shape == (2,) and np.all((scores > 0) & (scores < 1))


@pytest.fixture(scope="module")
def shipped():
    settings = Settings()  # as wiring.py builds it
    return load_detector(settings.frustration_model, settings.embedding_model, settings.frustration_thresholds,
                         onnx_cache=settings.onnx_cache, zh_model_dir=settings.frustration_zh_model)


@pytest.mark.parametrize(("text", "upset"), [
    ("等了两个星期还没发货，你们到底管不管", True), ("等了兩個星期還沒發貨，你們到底管不管", True),
    ("质量太差了，用了一天就坏了", True), ("请问怎么申请退货？", False), ("請問怎麼申請退貨？", False),
    ("收到了，很喜欢，谢谢", False),
])
def test_the_real_chinese_model_reads_the_tone_of_simplified_and_traditional_chinese(shipped, text, upset):
    assessment = shipped.assess(text)
    assert (assessment.level is not Level.LOW) is upset, assessment
    assert (Reason.NEGATIVE_TONE in assessment.reasons) is upset  # the model's reason, beside the cues'


def test_a_missing_export_of_the_fine_tuned_model_is_made_and_scores_as_pytorch(tmp_path):
    from frustration.text_model import FineTunedScorer

    settings = Settings()
    texts = ["This is the worst service ever, I'm furious", "Thanks, that was helpful", "word " * 100]
    fresh = FineTunedScorer(settings.frustration_model, settings.embedding_model, onnx_cache=tmp_path)
    assert fresh.runtime == "onnx" and len(list(tmp_path.glob("frustration-*.onnx"))) == 1
    torch = FineTunedScorer(settings.frustration_model, settings.embedding_model)
    assert np.abs(fresh.score(texts) - torch.score(texts)).max() < 1e-4

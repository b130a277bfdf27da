"""The Chinese text model: its features, its operating point, and how the detector uses it."""

import csv
import json

import numpy as np
import pytest

from faqbot.cli import main as cli
from frustration import FrustrationDetector, Level, Reason
from frustration.zh_model import ChineseTextScorer, char_ngrams
from frustration.zh_training import ZhTrainingPlan, held_out_split, load_examples, split, train_zh


class Fixed:
    def __init__(self, value):
        self.value = value

    def score(self, texts):
        return np.full(len(texts), self.value)


def test_char_ngrams_are_scikit_learns():
    from sklearn.feature_extraction.text import TfidfVectorizer

    text = "退款  多久 能到账？"
    analyzer = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), lowercase=False).build_analyzer()
    assert char_ngrams(text) == analyzer(text)


def tiny_scorer(threshold=0.5):
    # "差" and "慢" push towards frustrated, "好" away from it
    return ChineseTextScorer(["差", "慢", "好"], np.ones(3), np.array([3.0, 2.0, -3.0]), 0.0, threshold)


def test_scores_follow_the_weights_and_traditional_reads_as_simplified():
    scorer = tiny_scorer()
    bad, good, none = scorer.score(["太差了", "很好", "你"])
    assert bad > 0.9 and good < 0.1 and none == pytest.approx(0.5)
    assert scorer.score(["太慢了"])[0] == pytest.approx(scorer.score(["太慢了"])[0])
    assert scorer.score(["質量太差"])[0] == pytest.approx(scorer.score(["质量太差"])[0])  # 質 → 质


def test_the_operating_point_becomes_one_half():
    scorer = tiny_scorer(threshold=0.8)  # the raw logit of "你" is 0: P = 0.5 < 0.8, below the point
    assert scorer.score(["你"])[0] < 0.5
    with pytest.raises(ValueError, match="threshold"):
        tiny_scorer(threshold=1.0)


def test_save_and_load_round_trip(tmp_path):
    scorer = tiny_scorer(threshold=0.3)
    scorer.save(tmp_path)
    (tmp_path / "zh_frustration.json").write_text(json.dumps({"intercept": 0.0, "threshold": 0.3}))
    loaded = ChineseTextScorer.load(tmp_path)
    texts = ["太差了", "很好", "慢"]
    assert np.allclose(loaded.score(texts), scorer.score(texts), atol=1e-6)


def test_the_detector_reads_chinese_with_the_chinese_model_and_says_why():
    detector = FrustrationDetector(Fixed(0.99), chinese_scorer=tiny_scorer())
    assert detector.reads_chinese
    upset = detector.assess("质量太差了，物流也太慢了")
    assert upset.level is not Level.LOW and Reason.NEGATIVE_TONE in upset.reasons
    assert detector.assess("服务很好，谢谢").level is Level.LOW
    # the English model is not asked about Chinese, the Chinese model not about English
    assert detector.assess("how long do returns take?").text_score == pytest.approx(0.99)
    assert detector.assess("请问你们几点上班？").text_score == pytest.approx(0.5)


def test_a_short_chinese_verdict_is_feedback_not_anger():
    detector = FrustrationDetector(Fixed(0.05), chinese_scorer=tiny_scorer())
    verdict = detector.assess("不是这个")
    assert verdict.level is Level.LOW and Reason.NEGATIVE_FEEDBACK in verdict.reasons
    assert detector.assess("差").text_score <= 0.15  # one character says little about the tone


def _write_data(root):
    (root / "zh_sentiment").mkdir(parents=True)
    (root / "stc3_helpdesk").mkdir()
    (root / "zh_pairs").mkdir()
    with (root / "zh_sentiment" / "waimai_10k.csv").open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["label", "review"])
        for i in range(60):
            writer.writerow([1, f"很好吃，送得很快{i}"] if i % 2 else [0, f"太难吃了，送得太慢{i}"])
    with (root / "stc3_helpdesk" / "stc3_dq_train_cn.jsonl").open("w", encoding="utf-8") as f:
        for i in range(20):
            turns = [{"sender": "customer", "text": f"信号太差了投诉没人管{i}" if i % 2 else f"谢谢客服帮忙{i}"},
                     {"sender": "helpdesk", "text": "您好"}]
            f.write(json.dumps({"turns": turns, "mean_S": -1.0 if i % 2 else 1.0}, ensure_ascii=False) + "\n")
    with (root / "zh_pairs" / "lcqmc.csv").open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["text1", "text2", "label"])
        writer.writerows([(f"请问怎么开发票{i}", "x", 1) for i in range(40)])


def test_training_splits_the_same_way_every_time_and_never_trains_on_the_held_out_part(tmp_path):
    _write_data(tmp_path)
    examples = load_examples(tmp_path, questions=30)
    assert {k: len(v) for k, v in examples.items()} == {"waimai": 60, "stc3": 20, "questions": 30}
    first, second = split(examples), split(examples)
    assert first == second
    assert not {e.text for e in first.held_out} & {e.text for e in first.train + first.validation}
    assert held_out_split(tmp_path, ZhTrainingPlan(questions=30)) == first.held_out

    meta = train_zh(tmp_path, tmp_path / "model", ZhTrainingPlan(questions=30, min_df=1))
    assert meta["held_out"]["f1"] > 0.8 and set(meta["held_out_by_source"]) == {"waimai", "stc3", "questions"}
    scorer = ChineseTextScorer.load(tmp_path / "model")
    assert scorer.score(["太难吃了"])[0] > 0.5 > scorer.score(["很好吃"])[0]


def test_train_zh_names_the_missing_data(tmp_path, capsys):
    assert cli(["frustration", "train-zh", "--data", str(tmp_path), "--out", str(tmp_path / "m")]) == 2
    assert "waimai_10k.csv: not found" in capsys.readouterr().err


def test_the_chinese_tone_alone_asks_for_an_apology_never_for_an_immediate_handoff():
    sure = ChineseTextScorer(["慢"], np.ones(1), np.array([50.0]), 0.0, 0.5)  # P ≈ 1 for "太慢了"
    detector = FrustrationDetector(Fixed(0.05), chinese_scorer=sure)
    assert detector.assess("退款还没到账，太慢了").level is Level.MEDIUM
    outburst = detector.assess("说了多少遍了！！！垃圾客服，太慢了")  # the cues add what the tone cannot
    assert outburst.level is Level.HIGH and Reason.ABUSIVE_LANGUAGE in outburst.reasons

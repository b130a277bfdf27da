"""Quality gate for Questions to fix: real customer-style questions of a few needs (none answered by the shop's
knowledge base), clustered as the service clusters them on the real model, come out as those needs.
The full measurement on HWU64 / CLINC150 is bench/clustering.py (V-measure 0.78-0.88 there)."""

import pytest
from sklearn.metrics import adjusted_rand_score, homogeneity_completeness_v_measure

from embeddings import SentenceTransformerEncoder
from faqbot.settings import Settings
from knowledge_base.clusters import group

NEEDS = {
    "gift-wrap": ["Do you offer gift wrapping?", "can you gift wrap my order", "is gift wrapping available",
                  "I want my present wrapped", "could you wrap this as a gift please"],
    "store-hours": ["what time does your shop open", "when are your stores open on sunday",
                    "opening hours of the physical store", "is the store open on public holidays",
                    "what are your store hours"],
    "job": ["are you hiring", "how can I apply for a job at your company", "do you have any job openings",
            "I want to work for you, where do I send my CV", "careers page"],
    "bulk": ["do you give discounts for bulk orders", "I want to buy 500 units for my company",
             "wholesale prices please", "corporate bulk purchase discount", "can I order in large quantities"],
    "plush-wash": ["can I put the plush toy in the washing machine", "how do I wash a stuffed animal",
                   "cleaning instructions for the teddy bear", "is the plush toy machine washable",
                   "how to clean my soft toy"],
}
JUNK = ["!!!", "????", "aaaa", "."]


@pytest.fixture(scope="module")
def encoder():
    settings = Settings()
    return SentenceTransformerEncoder(settings.embedding_model, onnx_cache=settings.onnx_cache)


def test_questions_of_the_same_need_cluster_together_and_junk_is_dropped(encoder):
    texts = [t for questions in NEEDS.values() for t in questions] + JUNK
    truth = [need for need, questions in NEEDS.items() for _ in questions]
    grouping = group(texts, encoder.encode)
    labels = grouping.labels[: len(truth)]
    assert grouping.labels[len(truth):] == [-1] * len(JUNK)
    homogeneity, completeness, v = homogeneity_completeness_v_measure(truth, labels)
    # different needs are never merged (an editor would file the wrong fix), and each need is mostly one cluster
    assert homogeneity >= 0.95, (homogeneity, labels)
    assert v >= 0.75 and adjusted_rand_score(truth, labels) >= 0.5, (v, labels)
    assert len(grouping.representatives) == len(set(labels))

import pytest

from knowledge_base.language import detect_language, normalize
from knowledge_base.lexical import tokenize


@pytest.mark.parametrize(
    ("text", "language"),
    [("where is my parcel?", "en"), ("我的退款什么时候到账？", "zh"), ("我的退款什麼時候到賬？", "zh"),
     ("订单12345678到哪了", "zh"), ("My order 我的订单", "zh"), ("ok", "en"), ("", "en")],
)
def test_detect_language(text, language):
    assert detect_language(text) == language


def test_traditional_and_simplified_normalise_to_the_same_text():
    assert normalize("我的退款什麼時候到賬？") == normalize("我的退款什么时候到账？")


def test_tokens_are_words_and_cjk_unigrams_and_bigrams():
    assert tokenize("Refund 退款到账") == ["refund", "退", "款", "到", "账", "退款", "款到", "到账"]

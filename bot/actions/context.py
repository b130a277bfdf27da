"""Reading a message against the conversation so far: is it a follow-up on the current answer?"""

from __future__ import annotations

import re
from enum import StrEnum

from knowledge_base.article import Article
from knowledge_base.language import normalize

# "and for sale items?", "what about in Hong Kong?", "how long does that take?"
_EN_FOLLOW_UP = re.compile(
    r"^\s*(and|also|but|so|then|what about|how about|what if|and if|same for|is that|does that|does it|is it)\b"
    r"|\b(that|it|this|those|these|them|there)\b",
    re.IGNORECASE,
)
# "那打折商品呢？", "要多久？", "香港呢？", "这个怎么办" (matched on the simplified text)
_ZH_FOLLOW_UP = re.compile(
    r"^(那|那么|还有|另外|如果|要是|假如|这个|那个|它)"  # "那…", "如果…"
    r"|呢\s*[？?。!！]*$"  # "…呢？"
    r"|(这个|那个|这样|那样|它)"
)


# the words of a Chinese follow-up that only point back: "那退货呢？" asks about "退货"
_ZH_LEADING_MARKER = re.compile(r"^\s*(那么|那麼|那|还有|還有|另外)\s*[，,、]?\s*")
_ZH_TRAILING_MARKER = re.compile(r"\s*呢?\s*[？?。.!！~～…]*\s*$")


class FollowUp(StrEnum):
    MARKED = "marked"  # "and …", "what about …", "… that …", "那…呢": it points back at the topic
    SHORT = "short"  # too short to stand alone ("refund", "要多久")


def follow_up_kind(text: str, language: str) -> FollowUp | None:
    """Whether a message leans on what was said before, and how clearly."""
    text = text.strip()
    if language == "zh":
        text = normalize(text)  # traditional characters read as simplified ("這個", "還有")
        length = len(re.sub(r"[\s\W]", "", text))
        if length > 14:
            return None
        return FollowUp.MARKED if _ZH_FOLLOW_UP.search(text) else FollowUp.SHORT if length <= 5 else None
    words = re.findall(r"[\w']+", text)
    if len(words) > 8:
        return None
    return FollowUp.MARKED if _EN_FOLLOW_UP.search(text) else FollowUp.SHORT if len(words) <= 3 else None


def follow_up_core(text: str, language: str) -> str:
    """What a follow-up asks about, without the words that only point back to the topic.

    In Chinese they are whole characters that the search reads as part of the question ("那退货呢？"
    would find nothing sure where "退货" finds the return policy); English keeps its words (the encoder
    weighs "what about" lightly).
    """
    if language != "zh":
        return text
    core = _ZH_TRAILING_MARKER.sub("", _ZH_LEADING_MARKER.sub("", text))
    return core if core.strip() else text


def contextual_query(text: str, current: Article) -> str:
    """The message, completed with the topic it follows up on."""
    return f"{current.title} {text}"

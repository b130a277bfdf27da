"""Explainable cues of frustration in English and Chinese, each with its reason code.

Word lists, not a model: a cue names *why* a message reads as frustrated, so an agent (and
an auditor) can see it. Chinese text is matched after traditional → simplified normalisation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


class Reason:
    """Reason codes, as they appear in transcripts and handoffs."""

    NEGATIVE_TONE = "negative_tone"  # the text model reads the message as frustrated
    ANGRY_LANGUAGE = "angry_language"
    ABUSIVE_LANGUAGE = "abusive_language"
    EXPLICIT_COMPLAINT = "explicit_complaint"
    DEMANDS_PERSON = "demands_person"
    SHOUTING = "shouting"
    REPEATED_QUESTION = "repeated_question"
    CONSECUTIVE_BOT_FAILURES = "consecutive_bot_failures"
    NEGATIVE_FEEDBACK = "negative_feedback"


def _words(*phrases: str) -> re.Pattern[str]:
    """English phrases as whole words, case-insensitive; `*` ends a phrase with any word ending."""
    parts = [re.escape(p).replace(r"\*", r"\w*").replace(r"\ ", r"\s+") for p in phrases]
    return re.compile(r"(?<![\w'])(?:" + "|".join(parts) + r")(?![\w'])", re.IGNORECASE)


def _chars(*phrases: str) -> re.Pattern[str]:
    return re.compile("|".join(re.escape(p) for p in phrases))


@dataclass(frozen=True)
class Cue:
    reason: str
    english: re.Pattern[str]
    chinese: re.Pattern[str]


CUES: tuple[Cue, ...] = (
    Cue(
        Reason.ABUSIVE_LANGUAGE,
        _words("fuck*", "shit*", "bullshit", "crap*", "damn*", "goddamn*", "idiot*", "stupid", "moron*", "dumb",
               "wtf", "screw you", "bloody", "piss*", "bastard*", "suck", "sucks", "sucked", "scam*", "thie*",
               "liar*", "rubbish", "trash", "garbage", "pathetic", "incompetent", "clown*", "hell"),
        _chars(
            "傻逼", "傻b", "sb客服", "妈的", "他妈", "操你", "卧槽", "去死", "滚蛋", "垃圾客服",
            "垃圾服务", "什么垃圾", "废物", "骗子", "坑人", "坑爹", "白痴", "智障", "脑残", "混蛋", "王八蛋", "破玩意",
            "什么玩意", "狗屁", "黑店", "无耻", "骗钱", "人渣",
        ),
    ),
    Cue(
        Reason.ANGRY_LANGUAGE,
        _words("angry", "furious", "livid", "annoy*", "irritat*", "frustrat*", "fed up", "sick of", "tired of",
               "unacceptable", "ridiculous", "outrag*", "disgust*", "terrible", "horrible", "awful", "worst",
               "useless", "hopeless", "this is a joke", "what a joke", "nonsense", "absurd", "insane",
               "unbelievable", "disappoint*",
               "pissed", "hate", "never again", "had enough", "waste of time", "still waiting", "still not", "still no",
               "still haven't", "again and again", "how many times", "for the last time", "seriously",
               "come on", "are you kidding", "nobody helps", "not happy", "unhappy", "upset", "third time",
               "done with you", "again?"),
        _chars(
            "生气", "气死", "愤怒", "恼火", "烦死", "好烦", "太烦", "受够", "离谱", "过分",
            "太差", "很差", "真差", "差劲", "差勁", "浪费我的时间", "糟糕", "失望", "无语", "无语了",
            "服了", "搞什么", "什么破", "没用", "有什么用", "太慢", "慢死", "到底", "究竟",
            "凭什么", "说了多少遍", "说了几遍", "又是", "一直", "到底怎么回事", "第三次", "第四次", "第五次", "多少次",
            "几次了", "不满意", "不靠谱", "浪费时间", "忍无可忍", "岂有此理", "太坑", "欺负", "敷衍", "踢皮球",
            "答非所问", "别再", "够了",
        ),
    ),
    Cue(
        Reason.EXPLICIT_COMPLAINT,
        _words("complain*", "complaint*", "file a claim", "report you", "consumer protection", "lawyer*", "sue",
               "legal action", "chargeback", "bad review", "one star", "1 star", "refund me now", "my money back"),
        _chars(
            "投诉", "投訴", "举报", "差评", "消协", "消费者协会", "12315", "工商", "律师", "起诉",
            "曝光", "维权", "赔偿", "退钱", "给个说法",
        ),
    ),
    Cue(
        Reason.DEMANDS_PERSON,
        _words("real person", "human", "humans", "a person", "an agent", "live agent", "representative", "manager",
               "supervisor", "operator", "someone real", "talk to someone", "speak to someone"),
        _chars(
            "人工", "真人", "活人", "客服人员", "经理", "主管", "负责人", "找人", "转接",
        ),
    ),
)

# "that's not what I asked": a verdict on the bot's answer, not (by itself) anger
REJECTION = Cue(
    Reason.NEGATIVE_FEEDBACK,
    _words("not what I asked", "not what I meant", "not what I was asking", "not my question", "wrong answer",
           "that's not it", "that is not it", "didn't answer", "did not answer", "doesn't answer", "not helpful",
           "didn't help", "not relevant"),
    _chars("不是这个", "不是我问的", "我问的不是", "答非所问", "没回答", "没有帮助", "不是我想问的"),
)

_SHOUTED_PUNCTUATION = re.compile(r"[!?！？]{3,}|[!！]{2,}")
_LATIN_LETTER = re.compile(r"[A-Za-z]")
_CAPITALS_RUN = re.compile(r"\b[A-Z]{2,}(?:[\s,.'’]+[A-Z]{2,}){2,}\b")  # "WHERE IS MY REFUND"


def cue_reasons(text: str, normalized_chinese: str) -> list[str]:
    """The reason codes whose cues occur in the message (English on `text`, Chinese on the normalised text)."""
    return [cue.reason for cue in CUES if cue.english.search(text) or cue.chinese.search(normalized_chinese)]


def is_rejection(text: str, normalized_chinese: str) -> bool:
    return bool(REJECTION.english.search(text) or REJECTION.chinese.search(normalized_chinese))


def is_shouting(text: str) -> bool:
    """Mostly capitals (at least 8 letters), three capitalised words in a row ("WHERE IS MY REFUND"), or
    runs of !!! / ？？？."""
    letters = _LATIN_LETTER.findall(text)
    capitals = sum(1 for c in letters if c.isupper())
    if len(letters) >= 8 and capitals / len(letters) >= 0.7:
        return True
    if _CAPITALS_RUN.search(text):
        return True
    return bool(_SHOUTED_PUNCTUATION.search(text))

"""Which customer turns count as failed questions, and what each article's answers led to (pure functions)."""

import datetime as dt

import numpy as np

from faqbot.conversations import Message, Sender
from faqbot.conversations.signals import HandoffStart, analyse
from knowledge_base.clusters import dedupe_key, group, is_junk

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def conversation(*turns):
    messages, seq = [], 0
    for i, (text, customer_data, bot_data) in enumerate(turns):
        seq += 1
        messages.append(Message("c1", seq, Sender.CUSTOMER, text, T0 + dt.timedelta(minutes=i), customer_data))
        if bot_data is not None:
            seq += 1
            messages.append(Message("c1", seq, Sender.BOT, "reply", T0 + dt.timedelta(minutes=i, seconds=1), bot_data))
    return messages


def test_each_kind_of_failure_is_found_and_attributed_to_the_question():
    failed, _ = analyse(conversation(("where is my parcel", {}, {"outcome": "unsure", "best_guess": "track-en"})))
    assert [(q.text, q.kinds, q.tried) for q in failed] == [("where is my parcel", {"unsure"}, ["track-en"])]

    failed, _ = analyse(conversation(("refund", {}, {"outcome": "clarify", "choices": ["a", "b"]}),
                                     ("never mind", {}, {"outcome": "unsure"})))
    assert failed[0].text == "refund" and failed[0].kinds == {"clarify_ignored"} and failed[0].tried == ["a", "b"]

    picked, _ = analyse(conversation(("refund", {}, {"outcome": "clarify", "choices": ["a", "b"]}),
                                     ("A", {"payload": '/ask_question{"article_id": "a"}'},
                                      {"outcome": "answer", "article_id": "a", "chosen_by_customer": True})))
    assert picked == []

    failed, quality = analyse(conversation(
        ("can I pay later", {}, {"outcome": "answer", "article_id": "pay-en"}),
        ("that's not what I asked", {}, {"outcome": "answer", "article_id": "bnpl-en", "next_best": True})))
    assert [(q.text, q.kinds, q.tried) for q in failed] == [("can I pay later", {"rejected"}, ["pay-en"])]
    assert quality["bnpl-en"].answered == 1

    messages = conversation(("my order is broken", {}, {"outcome": "answer", "article_id": "damaged-en"}),
                            ("talk to a human", {}, {"outcome": "handoff"}))
    failed, quality = analyse(messages, [HandoffStart("c1", "low_confidence", T0 + dt.timedelta(minutes=1, seconds=1))])
    assert failed[0].kinds == {"handoff_low_confidence"} and quality["damaged-en"].handoffs == 1


def test_junk_and_near_duplicates_collapse_before_clustering():
    assert is_junk("!!!") and is_junk("aaaa") and is_junk("?") and not is_junk("退货") and not is_junk("ok go")
    assert dedupe_key("Do you ship to MARS?") == dedupe_key("do you  ship to mars")
    calls = []

    def encode(texts):
        calls.append(list(texts))
        return np.array([[1.0, 0.0] if "mars" in t.lower() else [0.0, 1.0] for t in texts])

    grouping = group(["Ship to Mars?", "ship to mars", "!!!", "ship to the planet mars", "退货怎么办"], encode)
    assert calls == [["Ship to Mars?", "ship to the planet mars", "退货怎么办"]]  # each distinct text once
    a, b, junk, c, d = grouping.labels
    assert a == b == c and junk == -1 and d not in (-1, a)

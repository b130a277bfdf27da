"""Routing rules, queue wait estimates and business hours (pure functions)."""

import datetime as dt

import pytest

from handoff.hours import OpeningHours
from handoff.routing import Candidate, Waiting, auto_assignments, best_agent, can_take, estimated_wait_seconds


def agent(agent_id, skills=(), languages=(), load=0, max_concurrent=2, online=True, auto=True, idle=0):
    return Candidate(agent_id, frozenset(skills), frozenset(languages), max_concurrent, load, online, auto, idle)


def test_an_agent_takes_what_matches_their_skills_and_languages_while_they_have_room():
    shipping_zh = agent("a", skills={"shipping"}, languages={"zh"})
    assert can_take(shipping_zh, "shipping", "zh")
    assert not can_take(shipping_zh, "refunds", "zh")
    assert not can_take(shipping_zh, "shipping", "en")
    assert can_take(shipping_zh, None, "zh")  # unknown category: anyone who speaks the language
    assert can_take(agent("g"), "refunds", "en")  # a generalist takes anything
    assert not can_take(agent("full", load=2), "refunds", "en")
    assert not can_take(agent("off", online=False), "refunds", "en")


def test_a_specialist_comes_before_a_generalist_then_the_least_loaded():
    generalist = agent("g")
    specialist = agent("s", skills={"refunds", "returns"}, load=1)
    assert best_agent([generalist, specialist], "refunds", "en").agent_id == "s"
    assert best_agent([generalist, agent("s2", skills={"refunds"}, load=2)], "refunds", "en").agent_id == "g"
    assert best_agent([agent("busy", load=1), agent("idle")], None, "en").agent_id == "idle"


def test_auto_assignment_walks_the_queue_in_order_and_respects_capacity():
    queue = [Waiting("h1", "shipping", "en"), Waiting("h2", "shipping", "en"), Waiting("h3", "refunds", "zh"),
             Waiting("h4", "shipping", "en")]
    pool = [agent("en", languages={"en"}, max_concurrent=2), agent("zh", languages={"zh"}, max_concurrent=1),
            agent("manual", auto=False)]
    assert auto_assignments(queue, pool) == [("h1", "en"), ("h2", "en"), ("h3", "zh")]


def test_wait_estimate_grows_with_position_and_shrinks_with_agents():
    handled = [120.0, 180.0, 240.0]
    assert estimated_wait_seconds(1, 0, handled) is None
    one, three = estimated_wait_seconds(1, 1, handled), estimated_wait_seconds(3, 1, handled)
    assert one == 90 and three == 270
    assert estimated_wait_seconds(3, 3, handled) == one


def test_business_hours():
    hours = OpeningHours.parse("mon-fri 09:00-18:00; sat 10:00-14:00", "Asia/Shanghai")
    shanghai = dt.timezone(dt.timedelta(hours=8))
    assert hours.is_open(dt.datetime(2026, 11, 23, 9, 30, tzinfo=shanghai))  # Monday
    assert not hours.is_open(dt.datetime(2026, 11, 23, 18, 0, tzinfo=shanghai))
    assert hours.is_open(dt.datetime(2026, 11, 28, 13, 59, tzinfo=shanghai))  # Saturday
    assert not hours.is_open(dt.datetime(2026, 11, 29, 12, 0, tzinfo=shanghai))  # Sunday
    assert hours.is_open(dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC))  # 10:00 in Shanghai
    assert OpeningHours.parse("").is_open(dt.datetime(2026, 11, 29, 3, 0, tzinfo=dt.UTC))
    assert OpeningHours.parse("fri-mon 20:00-23:00").is_open(dt.datetime(2026, 11, 22, 21, 0, tzinfo=dt.UTC))
    for bad in ("weekdays 9-5", "mon 18:00-09:00", "xyz 09:00-10:00"):
        with pytest.raises(ValueError):
            OpeningHours.parse(bad)

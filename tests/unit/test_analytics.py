"""Analytics: the figures of a scripted day, computed through the roll-ups, against counts worked out from the
script (SQLite and PostgreSQL); incremental roll-ups; bad filters and targets; the API's roles and errors."""

import datetime as dt
from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from faqbot.agents import AgentStore
from faqbot.analytics import Filters, InvalidFilter, InvalidTarget, ReportBuilder, Rollup, TargetStore
from faqbot.analytics.facts import percentile
from faqbot.conversations import ConversationStore, Sender
from faqbot.db import schema_drift
from tests.analytics_day import (
    category_of,
    expected_agents,
    expected_categories,
    expected_figures,
    expected_reasons,
    plan_day,
    write_day,
)
from tests.databases import migrated_engine
from tests.unit.test_api import client, login  # noqa: F401  (the app fixture and login of the API tests)

DAY = dt.date(2026, 11, 24)
TARGET_S = 120.0


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def db(request, tmp_path) -> AsyncIterator[AsyncEngine]:
    async with migrated_engine(request.param, tmp_path, "analytics") as engine:
        yield engine


async def _agents(engine) -> list[str]:
    store = AgentStore(engine)
    return [(await store.create(f"agent{i}", "secret-pw-long", display_name=f"Agent {i}")).id for i in range(3)]


def _builder(engine, targets=None) -> ReportBuilder:
    async def names():
        return {a.id: a.display_name for a in await AgentStore(engine).all()}

    async def kb():
        return {"refunds", "shipping", "account", "payments"}

    return ReportBuilder(engine, Rollup(engine, TARGET_S), targets or TargetStore(engine), names, kb, TARGET_S)


async def test_the_figures_of_a_scripted_day_match_counts_from_the_script(db):
    agent_ids = await _agents(db)
    plans = plan_day(DAY)
    await write_day(db, plans, agent_ids)
    report = await _builder(db).report(Filters(DAY, DAY))

    figures = {f.key: f.value for f in report.figures}
    expected = expected_figures(plans, TARGET_S)
    assert figures == expected
    assert expected["conversations"] == 60 and 0 < expected["automated_rate"] < 1  # the script covers every case
    assert expected["offline_tickets"] > 0 and expected["abandoned_waits"] > 0 and expected["csat_average"]
    assert {r.reason: r.handoffs for r in report.handoff_reasons} == expected_reasons(plans)
    assert all(v > 0 for v in expected_reasons(plans).values())
    assert report.outcomes["answers"] == sum(len(p.answers) for p in plans)
    assert report.outcomes["unsure"] == sum(p.unsure for p in plans)
    assert report.outcomes["clarify"] == sum(p.clarify for p in plans)
    assert report.outcomes["rephrase"] == sum(1 for p in plans if p.rephrase_after_last)
    agents = {a.agent_id: {"handled": a.handled, "first_reply_p50": a.first_reply_p50,
                           "resolution_p50": a.resolution_p50, "csat_average": a.csat_average} for a in report.agents}
    assert agents == expected_agents(plans, agent_ids)
    assert [a.name for a in report.agents] == ["Agent 0", "Agent 1", "Agent 2"]
    assert {c.category: c.conversations for c in report.categories} == expected_categories(plans)
    assert [d.day for d in report.daily] == [DAY.isoformat()]
    assert report.daily[0].conversations == 60 and report.daily[0].automated_rate == expected["automated_rate"]

    # one language, one category: the same counts restricted to them
    zh = [p for p in plans if p.language == "zh"]
    only_zh = await _builder(db).report(Filters(DAY, DAY, language="zh"))
    assert {f.key: f.value for f in only_zh.figures} == expected_figures(zh, TARGET_S)
    shipping = [p for p in plans if category_of(p) == "shipping"]
    only_shipping = await _builder(db).report(Filters(DAY, DAY, category="shipping"))
    assert {f.key: f.value for f in only_shipping.figures} == expected_figures(shipping, TARGET_S)
    # the days around it are empty
    before = await _builder(db).report(Filters(DAY - dt.timedelta(days=3), DAY - dt.timedelta(days=1)))
    assert {f.key: f.value for f in before.figures}["conversations"] == 0
    assert [d.conversations for d in before.daily] == [0, 0, 0]


async def test_the_rollup_follows_new_messages_and_events_incrementally(db):
    agent_ids = await _agents(db)
    plans = plan_day(DAY, count=12)
    await write_day(db, plans, agent_ids)
    rollup = Rollup(db, TARGET_S, rescan_ids=2)
    assert await rollup.refresh() >= 12
    assert await rollup.refresh() <= 1  # nothing new: at most the re-scanned last ids' conversations
    more = plan_day(DAY, count=18, seed=5)[12:]
    await write_day(db, more, agent_ids)
    rebuilt = await rollup.refresh()
    assert 6 <= rebuilt <= 8, rebuilt
    report = await _builder(db).report(Filters(DAY, DAY))
    assert {f.key: f.value for f in report.figures} == expected_figures(plans + more, TARGET_S)
    # an 👍 given later (an annotation plus a new message) moves the helpful share
    store = ConversationStore(db)
    [conversation] = await store.search(limit=1)
    await store.record(conversation.id, [(Sender.BOT, "another answer", {"outcome": "answer", "category": "shipping",
                                                                         "helpful": True})])
    after = await _builder(db).report(Filters(DAY - dt.timedelta(days=1), dt.datetime.now(dt.UTC).date()))
    assert after.outcomes["answers"] == report.outcomes["answers"] + 1


async def test_erased_conversations_keep_their_statistics(db):
    agent_ids = await _agents(db)
    plans = plan_day(DAY, count=6)
    ids = await write_day(db, plans, agent_ids)
    before = await _builder(db).report(Filters(DAY, DAY))
    await ConversationStore(db).erase(ids[0])
    after = await _builder(db).report(Filters(DAY, DAY))
    assert [(f.key, f.value) for f in after.figures] == [(f.key, f.value) for f in before.figures]


async def test_the_migration_builds_the_models_schema(db):
    assert await schema_drift(db) == []


@pytest.mark.parametrize("filters, field", [
    (Filters(DAY, DAY - dt.timedelta(days=1)), "end"),
    (Filters(dt.date(1999, 12, 1), DAY), "start"),
    (Filters(DAY - dt.timedelta(days=400), DAY), "end"),
    (Filters(DAY, dt.date(2100, 1, 1)), "end"),
    (Filters(DAY, DAY, language="fr"), "language"),
    (Filters(DAY, DAY, category="no-such-thing"), "category"),
])
def test_bad_filters_name_the_field(filters, field):
    with pytest.raises(InvalidFilter) as raised:
        filters.check({"shipping"}, DAY)
    assert raised.value.field == field


async def test_targets_are_checked_and_give_a_status(engine):
    targets = TargetStore(engine)
    with pytest.raises(InvalidTarget) as raised:
        await targets.set("automated_rate", 0.5, 0.7, "sam")  # higher is better: warning above target
    assert raised.value.field == "warning"
    with pytest.raises(InvalidTarget):
        await targets.set("automated_rate", 1.5, 0.2, "sam")
    saved = await targets.set("first_reply_p90", 60, 180, "sam")
    assert [saved.status(v) for v in (30, 60, 120, 181)] == ["ok", "ok", "warning", "alert"]
    rate = await targets.set("automated_rate", 0.6, 0.4, "sam")
    assert [rate.status(v) for v in (0.7, 0.5, 0.3, None)] == ["ok", "warning", "alert", None]
    assert set(await targets.all()) == {"first_reply_p90", "automated_rate"}


def test_nearest_rank_percentiles():
    assert percentile([], 50) is None
    assert percentile([5.0], 90) == 5.0
    assert percentile([1, 2, 3, 4], 50) == 2 and percentile([1, 2, 3, 4], 90) == 4
    assert percentile(list(range(1, 11)), 90) == 9


def test_the_api_is_for_supervisors_and_admins_and_names_bad_fields(client):
    admin = login(client, "alice", "secret-pw")
    for username, roles in (("sam", ["supervisor"]), ("ann", ["agent"]), ("eve", ["editor"])):
        created = client.post("/api/agent/agents", headers=admin, json={
            "username": username, "password": "long-secret-pw", "roles": roles})
        assert created.status_code == 201, created.text
    supervisor = login(client, "sam", "long-secret-pw")
    for who in (admin, supervisor):
        response = client.get("/api/analytics", headers=who, params={"start": "2026-11-01", "end": "2026-11-07"})
        assert response.status_code == 200, response.text
        assert [d["day"] for d in response.json()["daily"]][0] == "2026-11-01"
    for who in ("ann", "eve"):
        denied = client.get("/api/analytics", headers=login(client, who, "long-secret-pw"))
        assert denied.status_code == 403 and denied.json()["error"]["code"] == "access_denied"
    assert client.get("/api/analytics").status_code == 401
    for params, field in (({"start": "2026-11-08", "end": "2026-11-01"}, "end"),
                          ({"language": "xx"}, "language"), ({"category": "nope"}, "category"),
                          ({"start": "2020-01-01", "end": "2026-11-01"}, "end"),
                          ({"end": "0001-01-01"}, "end"), ({"start": "not-a-date"}, "start")):
        bad = client.get("/api/analytics", headers=supervisor, params=params)
        assert bad.status_code == 422, (params, bad.text)
        assert field in bad.json()["error"]["message"], bad.text
    put = client.put("/api/analytics/targets/automated_rate", headers=supervisor, json={"target": 0.6, "warning": 0.4})
    assert put.status_code == 200 and put.json()["updated_by"] == "sam"
    bad = client.put("/api/analytics/targets/automated_rate", headers=supervisor, json={"target": 0.6, "warning": 0.9})
    assert bad.status_code == 422 and "warning" in bad.json()["error"]["message"]
    assert client.put("/api/analytics/targets/nope", headers=supervisor,
                      json={"target": 1, "warning": 1}).status_code == 404
    figures = client.get("/api/analytics", headers=supervisor).json()["figures"]
    assert next(f for f in figures if f["key"] == "automated_rate")["target"] == 0.6
    listed = client.get("/api/analytics/targets", headers=supervisor).json()["targets"]
    assert next(t for t in listed if t["metric"] == "automated_rate")["warning"] == 0.4
    assert client.delete("/api/analytics/targets/automated_rate", headers=supervisor).json()["target"] is None
    assert client.put("/api/analytics/targets/automated_rate", headers=login(client, "ann", "long-secret-pw"),
                      json={"target": 0.6, "warning": 0.4}).status_code == 403

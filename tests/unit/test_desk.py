"""The handoff desk over a real SQLite database (Rasa scripted): routing, presence, transfer, tickets, ratings."""

import datetime as dt

import pytest

from faqbot.agents import Presence
from faqbot.conversations import Sender
from faqbot.conversations.hub import AGENTS_TOPIC
from handoff import HandoffStatus, InvalidHandoffTransition
from handoff.desk import DeskPolicy
from handoff.hours import OpeningHours


async def handed_off(chat, handoffs, text="a person please", category=None, language="en"):
    conversation, _ = await chat.start(language=language)
    result = await chat.customer_message(conversation.id, text)
    if category:
        await handoffs.set_category(result.handoff.id, category)
    return conversation, await handoffs.get(result.handoff.id)


async def test_claim_checks_skills_languages_and_capacity(chat, desk, agents, handoffs):
    zh_refunds = await agents.create("li", "secret-pw", skills=["refunds"], languages=["zh"], max_concurrent=1)
    _, shipping = await handed_off(chat, handoffs, category="shipping")
    with pytest.raises(InvalidHandoffTransition, match="skill 'shipping'"):
        await desk.claim(shipping.id, zh_refunds)
    _, refund_en = await handed_off(chat, handoffs, category="refunds")
    with pytest.raises(InvalidHandoffTransition, match="language 'en'"):
        await desk.claim(refund_en.id, zh_refunds)
    _, first = await handed_off(chat, handoffs, text="我要找 person 客服", category="refunds", language="zh")
    _, second = await handed_off(chat, handoffs, text="请转 person 客服", category="refunds", language="zh")
    assert (await desk.claim(first.id, zh_refunds)).status is HandoffStatus.ASSIGNED
    with pytest.raises(InvalidHandoffTransition, match="maximum"):
        await desk.claim(second.id, zh_refunds)
    assert await desk.offered_to(zh_refunds, await handoffs.open_handoffs()) == set()


async def test_auto_assign_gives_the_oldest_high_priority_first_to_agents_with_room(chat, desk, agents, handoffs):
    alice = await agents.create("alice", "secret-pw", auto_assign=True, max_concurrent=1)
    _, older = await handed_off(chat, handoffs)
    _, newer = await handed_off(chat, handoffs)
    assert older.status is HandoffStatus.QUEUED  # nobody online yet
    await desk.console_connected(alice)  # online: gets the oldest at once
    assert (await handoffs.get(older.id)).agent_id == alice.id
    assert (await handoffs.get(newer.id)).status is HandoffStatus.QUEUED
    status = await desk.queue_status(await handoffs.get(newer.id))
    assert (status.position, status.agents_online) == (1, 1) and status.eta_seconds > 0
    await desk.resolve(older.id, alice)  # room again: the next one follows
    assert (await handoffs.get(newer.id)).agent_id == alice.id


async def test_a_disconnected_agent_keeps_conversations_for_the_grace_period(chat, desk, agents, handoffs, policy):
    alice = await agents.create("alice", "secret-pw")
    await desk.console_connected(alice)
    _, handoff = await handed_off(chat, handoffs)
    await desk.claim(handoff.id, alice)
    await desk.console_disconnected(alice)
    assert (await agents.by_id(alice.id)).presence is Presence.AWAY
    await desk.sweep()
    assert (await handoffs.get(handoff.id)).agent_id == alice.id  # within the grace period
    await desk.console_connected(alice)  # back in time: online again, nothing changed
    assert (await agents.by_id(alice.id)).presence is Presence.ONLINE
    await desk.console_disconnected(alice)
    object.__setattr__(policy, "grace_seconds", 0.0)
    await desk.sweep()
    back = await handoffs.get(handoff.id)
    assert back.status is HandoffStatus.QUEUED and back.agent_id is None
    assert (await agents.by_id(alice.id)).presence is Presence.OFFLINE
    await desk.set_presence(alice, Presence.AWAY)  # chosen away: stays away when the console reconnects
    await desk.console_connected(alice)
    assert (await agents.by_id(alice.id)).presence is Presence.AWAY
    _, events = await handoffs.history(handoff.conversation_id)
    assert events[-1].kind.value == "requeued" and events[-1].detail == {"why": "agent disconnected"}


async def test_a_restart_gives_agents_who_had_just_disconnected_a_fresh_grace_period(chat, desk, agents, handoffs):
    alice = await agents.create("alice", "secret-pw")
    await desk.console_connected(alice)
    _, handoff = await handed_off(chat, handoffs)
    await desk.claim(handoff.id, alice)
    await desk.console_disconnected(alice)  # the console closed, then the service went down for a while
    before = (await agents.by_id(alice.id)).presence_since
    await desk.recover_after_restart()  # a fresh process: she could not reconnect while it was down
    after = await agents.by_id(alice.id)
    assert after.presence is Presence.AWAY and after.presence_since > before
    await desk.sweep()
    assert (await handoffs.get(handoff.id)).agent_id == alice.id


async def test_transfer_and_put_back(chat, desk, agents, handoffs):
    alice = await agents.create("alice", "secret-pw", display_name="Alice")
    bob = await agents.create("bob", "secret-pw", display_name="Bob")
    conversation, handoff = await handed_off(chat, handoffs)
    await desk.claim(handoff.id, alice)
    with pytest.raises(InvalidHandoffTransition, match="offline"):
        await desk.transfer(handoff.id, alice, bob.id)
    await desk.set_presence(bob, Presence.ONLINE)
    moved = await desk.transfer(handoff.id, alice, bob.id)
    assert moved.agent_id == bob.id
    with pytest.raises(InvalidHandoffTransition):
        await desk.agent_message(handoff.id, alice, "still mine?")
    requeued = await desk.requeue(handoff.id, bob)
    assert requeued.status is HandoffStatus.QUEUED
    history = await desk.history(conversation.id)
    assert [(e["kind"], e["agent_name"]) for e in history] == [
        ("queued", None), ("assigned", "Alice"), ("transferred", "Bob"), ("requeued", "Bob")]
    assert history[2]["detail"]["from_agent_name"] == "Alice"
    texts = [m.text for m in await chat.history(conversation.id) if m.sender is Sender.SYSTEM]
    assert any("Alice has passed your conversation to Bob" in t for t in texts)


async def test_no_agent_online_offers_an_offline_ticket_that_keeps_everything(chat, desk, agents, handoffs):
    conversation, handoff = await handed_off(chat, handoffs)
    notice = (await chat.history(conversation.id))[-1]
    assert notice.data["event"] == "agents_unavailable" and notice.data["offline_form"] is True
    await chat.customer_message(conversation.id, "my order 12345678 is late")  # kept for the agent
    ticket, messages = await desk.leave_message(conversation.id, {"email": "li@example.com"}, "Please call me back")
    assert ticket.status is HandoffStatus.TICKET and ticket.contact == {"email": "li@example.com"}
    assert "l***@example.com" in messages[-1].text and "li@example.com" not in messages[-1].text
    alice = await agents.create("alice", "secret-pw")
    assert ticket.id in await desk.offered_to(alice, await handoffs.open_handoffs())
    claimed = await desk.claim(ticket.id, alice)
    assert claimed.status is HandoffStatus.ASSIGNED
    texts = [m.text for m in await chat.history(conversation.id)]
    assert "my order 12345678 is late" in texts and "Please call me back" in texts


async def test_outside_business_hours_the_customer_is_told_at_once(chat, desk, agents, handoffs, policy):
    object.__setattr__(policy, "hours", OpeningHours.parse("mon 00:00-00:01"))
    alice = await agents.create("alice", "secret-pw", auto_assign=True)
    await desk.set_presence(alice, Presence.ONLINE)
    conversation, handoff = await handed_off(chat, handoffs)
    notice = (await chat.history(conversation.id))[-1]
    assert notice.data["why"] == "outside_hours" and "mon 00:00-00:01" in notice.text
    assert (await handoffs.get(handoff.id)).status is HandoffStatus.QUEUED  # not auto-assigned while closed


async def test_rating_after_resolve_by_form_or_typed(chat, desk, agents, handoffs, rasa):
    alice = await agents.create("alice", "secret-pw")
    conversation, handoff = await handed_off(chat, handoffs)
    await desk.claim(handoff.id, alice)
    _, messages = await desk.resolve(handoff.id, alice, "done")
    assert messages[-1].data["rating_request"] == handoff.id
    typed = await chat.customer_message(conversation.id, "4 stars")
    assert [m.sender for m in typed.messages] == [Sender.CUSTOMER, Sender.BOT]
    assert (await handoffs.get(handoff.id)).rating.score == 4
    assert rasa.said[-1] == "action_thank_for_rating" and "4 stars" not in rasa.sent
    await desk.rate(conversation.id, 2, "slow to answer")  # the form: replaces it, with a comment
    rated = await handoffs.get(handoff.id)
    assert (rated.rating.score, rated.rating.comment) == (2, "slow to answer")
    assert (await chat.customer_message(conversation.id, "5")).messages[1].text == "An answer."  # no longer pending


async def test_leaving_while_queued_abandons_and_gives_the_bot_back(chat, desk, handoffs, rasa):
    conversation, handoff = await handed_off(chat, handoffs)
    left = await desk.customer_left(conversation.id)
    assert left.status is HandoffStatus.ABANDONED and rasa.resumed == [conversation.id]
    assert (await chat.customer_message(conversation.id, "where is my parcel")).handoff is None


async def test_breaches_are_flagged_once_and_cleared_by_the_first_reply(chat, desk, agents, handoffs, hub, policy):
    object.__setattr__(policy, "first_reply_target_seconds", 0.0)
    _, handoff = await handed_off(chat, handoffs)
    view = (await desk.open_views())[0]
    assert view.breached and view.queue_position == 1
    async with hub.subscribe(AGENTS_TOPIC) as feed:
        await desk.sweep()
        await desk.sweep()
        events = [feed.queue.get_nowait() for _ in range(feed.queue.qsize())]
    assert sum(1 for e in events if e.get("breached")) == 1


def test_policy_defaults_are_sane():
    policy = DeskPolicy()
    assert policy.grace_seconds >= 60 and 30 <= policy.queue_update_seconds <= 60
    assert policy.hours.is_open(dt.datetime.now(dt.UTC))

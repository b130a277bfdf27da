"""The handoff desk with several simultaneous clients over real WebSockets, against the real Rasa and service.

Two customers (English, Chinese) plus an angry one, two agents with different skills and languages
plus an admin: routing, priority order, transfer, typing, auto-assignment, presence grace period,
queue updates, rating, offline tickets, reconnection replay and a restart in the middle of a handoff.
Timers are shortened (grace 3 s, queue updates every second) so the test does not wait minutes.
"""

import asyncio
import signal

import pytest

from tests.live import AgentClient, Customer, running_stack

GRACE_SECONDS = 3.0


@pytest.fixture(scope="module")
def desk_stack(tmp_path_factory):
    with running_stack(tmp_path_factory.mktemp("desk"), agent_grace_seconds=GRACE_SECONDS,
                       queue_update_seconds=1.0, sweep_seconds=0.3, first_reply_target_seconds=4.0) as stack:
        yield stack


def make_agent(admin: AgentClient, username: str, **profile) -> AgentClient:
    response = admin.http.post("/api/agent/agents", json={"username": username, "password": "secret-pw",
                                                          "display_name": username.capitalize(), **profile})
    assert response.status_code == 201, response.text
    return AgentClient(str(admin.http.base_url), username, "secret-pw")


def presence(agent: AgentClient, of: AgentClient) -> str:
    return next(a["presence"] for a in agent.http.get("/api/agent/team").json()["agents"] if a["id"] == of.me["id"])


async def eventually(check, timeout: float = 15, what: str = "the condition"):
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = check()
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout:.0f} s")
        await asyncio.sleep(0.2)


def handoff_of(agent: AgentClient, customer: Customer) -> dict:
    return next(h for h in agent.queue() if h["conversation_id"] == customer.id)


async def test_routing_priority_transfer_typing_auto_assign_and_rating(desk_stack):
    url = desk_stack.web_url
    admin = AgentClient(url)
    sam = make_agent(admin, "sam", skills=["shipping", "orders"], languages=["en"], max_concurrent=2)
    li = make_agent(admin, "li", skills=["returns", "refunds"], languages=["zh"])
    async with admin.console(), sam.console(), li.console():
        await eventually(lambda: presence(admin, sam) == "online" and presence(admin, li) == "online",
                         what="agents coming online")

        english = Customer(url)
        english.say("where is my parcel?")
        turn = english.say("I want to talk to a person")
        assert turn["mode"] == "human" and turn["handoff"]["queue"]["position"] >= 1
        queued_note = turn["messages"][-1]
        assert queued_note["data"]["event"] == "queued" and "in the queue" in queued_note["text"]

        chinese = Customer(url)
        chinese.say("我想退货，怎么办？")
        assert chinese.say("转人工客服")["mode"] == "human"

        angry = Customer(url)
        angry.say("Where is my refund?")
        outburst = angry.say("THIS IS RIDICULOUS!!! WHERE IS MY REFUND??? Useless bot, I'm furious")
        assert outburst["handoff"]["priority"] == "high"

        # priority first, then waiting time; each agent is offered only what matches them
        queue = [h for h in sam.queue() if h["status"] == "queued"]
        assert [h["conversation_id"] for h in queue] == [angry.id, english.id, chinese.id]
        by_customer = {h["conversation_id"]: h for h in queue}
        assert (by_customer[english.id]["category"], by_customer[english.id]["language"]) == ("shipping", "en")
        assert by_customer[chinese.id]["language"] == "zh" and by_customer[chinese.id]["category"] in li.me["skills"]
        assert by_customer[angry.id]["reason"] == "frustrated" and by_customer[angry.id]["queue_position"] == 1
        assert {h["conversation_id"] for h in sam.queue() if h["offered"]} == {english.id}
        assert {h["conversation_id"] for h in li.queue() if h["offered"]} == {chinese.id}
        assert english.http.get(f"/api/conversations/{english.id}").json()["handoff"]["queue"]["position"] == 2

        english_handoff = by_customer[english.id]["id"]
        refused = li.http.post(f"/api/agent/handoffs/{english_handoff}/claim")
        assert refused.status_code == 409 and "language 'en'" in refused.json()["error"]["message"]

        async with english.feed(after=english.history()[-1]["seq"]) as widget, \
                admin.conversation(english_handoff) as admin_view:
            sam.post(f"/api/agent/handoffs/{english_handoff}/claim")
            joined = await widget.wait_message(lambda m: m["data"].get("event") == "agent_joined")
            assert "Sam" in joined["text"]

            # waiting customers hear their place in the queue again and again
            async with angry.feed(after=angry.history()[-1]["seq"]) as angry_widget:
                await angry_widget.wait_for(lambda e: e.get("type") == "queue" and e["position"] == 1)
                updates_before = sum(e.get("type") == "queue" for e in angry_widget.events)
                await asyncio.sleep(2.5)
                assert sum(e.get("type") == "queue" for e in angry_widget.events) > updates_before

            sam.post(f"/api/agent/handoffs/{english_handoff}/transfer", json={"agent_id": admin.me["id"]})
            moved = await widget.wait_message(lambda m: m["data"].get("event") == "agent_transferred")
            assert "Sam has passed your conversation to Alice" in moved["text"]
            assert sam.http.post(f"/api/agent/handoffs/{english_handoff}/messages",
                                 json={"text": "still me?"}).status_code == 409

            # typing both ways, then a real-time reply
            await widget.send({"type": "typing"})
            await admin_view.wait_for(lambda e: e.get("type") == "typing" and e["sender"] == "customer")
            await admin_view.send({"type": "typing"})
            typing = await widget.wait_for(lambda e: e.get("type") == "typing")
            assert typing == {"type": "typing", "sender": "agent", "name": "Alice"}
            admin.post(f"/api/agent/handoffs/{english_handoff}/messages", json={"text": "Alice here, checking."})
            await widget.wait_message(lambda m: m["sender"] == "agent" and m["text"] == "Alice here, checking.")
            english.say("thank you!")  # while with a person: to the agent, live
            await admin_view.wait_message(lambda m: m["text"] == "thank you!")

            # auto-assignment: Alice opts in and gets the waiting high-priority customer at once
            admin.http.patch("/api/agent/me", json={"auto_assign": True})
            angry_handoff = await eventually(
                lambda: next((h for h in admin.queue() if h["conversation_id"] == angry.id
                              and h["status"] == "assigned"), None), what="auto-assignment")
            assert angry_handoff["agent_name"] == "Alice"
            admin.http.patch("/api/agent/me", json={"auto_assign": False})

            # resolve with a note: the bot comes back (in Rasa) and asks for a rating
            admin.post(f"/api/agent/handoffs/{english_handoff}/resolve", json={"note": "gave tracking link"})
            ask = await widget.wait_message(lambda m: m["sender"] == "bot" and m["data"].get("rating_request"))
            assert ask["data"]["rating_request"] == english_handoff and "1 (poor) to 5" in ask["text"]
            rated = english.http.post(f"/api/conversations/{english.id}/rating",
                                      json={"score": 5, "comment": "Quick and kind"})
            assert rated.status_code == 200 and rated.json()["messages"][-1]["sender"] == "bot"

        detail = admin.detail(english_handoff)
        assert detail["handoff"]["rating"]["score"] == 5 and detail["handoff"]["rating"]["comment"] == "Quick and kind"
        assert detail["handoff"]["note"] == "gave tracking link" and detail["handoff"]["first_reply_at"]
        assert [(e["kind"], e["agent_name"]) for e in detail["history"]] == [
            ("queued", None), ("assigned", "Sam"), ("transferred", "Alice"), ("first_reply", "Alice"),
            ("resolved", "Alice"), ("rated", None)]
        assert english.say("how do I reset my password")["mode"] == "bot"  # the bot carries on
        assert english.http.post(f"/api/conversations/{english.id}/rating", json={"score": 9}).status_code == 422


async def test_a_disconnected_agent_keeps_conversations_for_the_grace_period_then_they_go_back(desk_stack):
    url = desk_stack.web_url
    admin = AgentClient(url)
    mei = make_agent(admin, "mei", languages=["zh"])
    customer = Customer(url)
    customer.say("我的快递到哪了？")
    console = mei.console()
    await console.__aenter__()
    await eventually(lambda: presence(admin, mei) == "online", what="mei online")
    handoff_id = customer.say("我要人工客服")["handoff"]["id"]
    mei.post(f"/api/agent/handoffs/{handoff_id}/claim")

    await console.close()  # e.g. a dropped Wi-Fi connection
    await eventually(lambda: presence(admin, mei) == "away", what="mei away")
    async with mei.console():  # back within the grace period: still hers
        await asyncio.sleep(GRACE_SECONDS + 1)
        assert handoff_of(admin, customer)["agent_name"] == "Mei"
    async with customer.feed(after=customer.history()[-1]["seq"]) as widget:
        await asyncio.sleep(GRACE_SECONDS - 1)
        assert handoff_of(admin, customer)["status"] == "assigned"  # not yet
        back = await eventually(lambda: handoff_of(admin, customer)["status"] == "queued" and
                                handoff_of(admin, customer), timeout=GRACE_SECONDS + 10, what="requeue")
        assert back["agent_id"] is None
        notice = await widget.wait_message(lambda m: m["data"].get("event") == "requeued")
        assert "排队" in notice["text"]
    assert presence(admin, mei) == "offline"
    assert admin.detail(handoff_id)["history"][-1]["detail"] == {"why": "agent disconnected"}


async def test_no_one_available_leaves_an_offline_ticket_and_nothing_is_lost(desk_stack):
    url = desk_stack.web_url
    admin = AgentClient(url)
    await eventually(lambda: all(a["presence"] != "online" for a in admin.http.get("/api/agent/team").json()["agents"]),
                     timeout=GRACE_SECONDS + 10, what="everyone offline")
    customer = Customer(url)
    turn = customer.say("I need to talk to a human")
    notice = turn["messages"][-1]
    assert notice["data"]["event"] == "agents_unavailable" and notice["data"]["offline_form"] is True
    customer.say("my order 20261123001 arrived broken")
    bad = customer.http.post(f"/api/conversations/{customer.id}/ticket", json={"message": "call me"})
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "contact_required"
    left = customer.http.post(f"/api/conversations/{customer.id}/ticket",
                              json={"message": "Please send a replacement", "name": "Dana",
                                    "email": "dana@example.com"})
    assert left.status_code == 201 and left.json()["handoff"]["status"] == "ticket"

    async with admin.console():
        ticket = handoff_of(admin, customer)
        assert ticket["status"] == "ticket" and ticket["contact"] == {"name": "Dana", "email": "dana@example.com"}
        texts = [m["text"] for m in admin.detail(ticket["id"])["transcript"]]
        assert {"I need to talk to a human", "my order 20261123001 arrived broken",
                "Please send a replacement"} <= set(texts)
        admin.post(f"/api/agent/handoffs/{ticket['id']}/claim")
        async with customer.feed(after=customer.history()[-1]["seq"]) as widget:
            admin.post(f"/api/agent/handoffs/{ticket['id']}/messages", json={"text": "A replacement is on its way."})
            await widget.wait_message(lambda m: m["text"] == "A replacement is on its way.")
        admin.post(f"/api/agent/handoffs/{ticket['id']}/resolve", json={"note": "replacement sent"})


async def test_reconnecting_clients_get_what_they_missed_in_order_exactly_once(desk_stack):
    url = desk_stack.web_url
    admin = AgentClient(url)
    async with admin.console():
        await eventually(lambda: presence(admin, admin) == "online", what="alice online")
        customer = Customer(url)
        handoff_id = customer.say("let me speak to an agent")["handoff"]["id"]
        admin.post(f"/api/agent/handoffs/{handoff_id}/claim")
        seen = customer.history()[-1]["seq"]
        agent_seen = seen
        for text in ("one", "two", "three"):  # the customer's widget is offline meanwhile
            admin.post(f"/api/agent/handoffs/{handoff_id}/messages", json={"text": text})
        customer.say("I'm back")  # the agent's conversation view is closed meanwhile
        async with customer.feed(after=seen) as widget, admin.conversation(handoff_id, after=agent_seen) as view:
            await widget.wait_message(lambda m: m["text"] == "I'm back")
            await view.wait_message(lambda m: m["text"] == "I'm back")
            admin.post(f"/api/agent/handoffs/{handoff_id}/messages", json={"text": "four"})
            await widget.wait_message(lambda m: m["text"] == "four")
            await view.wait_message(lambda m: m["text"] == "four")
        for feed in (widget, view):
            seqs = [m["seq"] for m in feed.messages()]
            assert seqs == sorted(set(seqs)) and seqs[0] == seen + 1  # in order, no duplicates, no gaps at start
            assert [m["text"] for m in feed.messages() if m["sender"] != "system"] == [
                "one", "two", "three", "I'm back", "four"]
        admin.post(f"/api/agent/handoffs/{handoff_id}/resolve")


async def test_killing_the_service_in_the_middle_of_a_handoff_loses_nothing(desk_stack):
    url = desk_stack.web_url
    admin = AgentClient(url)
    customer = Customer(url)
    waiting = Customer(url)
    async with admin.console():
        await eventually(lambda: presence(admin, admin) == "online", what="alice online")
        customer.say("where is my parcel?")
        handoff_id = customer.say("I want a human please")["handoff"]["id"]
        admin.post(f"/api/agent/handoffs/{handoff_id}/claim")
        admin.post(f"/api/agent/handoffs/{handoff_id}/messages", json={"text": "Looking into it."})
        customer.say("it was due on Monday")  # not answered yet
        waiting_id = waiting.say("talk to a person")["handoff"]["id"]
        waiting.say("hello? anyone?")
        before = customer.history()
        desk_stack.stop("web", sig=signal.SIGKILL)  # with the console still open: a crash, not a goodbye

    desk_stack.start_web()
    desk_stack.wait_web()

    assert customer.history() == before
    queue = {h["id"]: h for h in admin.queue()}  # the old session still works
    assert queue[handoff_id]["status"] == "assigned" and queue[handoff_id]["agent_name"] == "Alice"
    assert queue[waiting_id]["status"] == "queued" and queue[waiting_id]["summary"] == "hello? anyone?"
    async with admin.console(), customer.feed(after=before[-1]["seq"]) as widget, \
            admin.conversation(handoff_id, after=before[-1]["seq"]) as view:
        assert admin.detail(handoff_id)["transcript"][-1]["text"] == "it was due on Monday"
        admin.post(f"/api/agent/handoffs/{handoff_id}/messages", json={"text": "It ships today."})
        await widget.wait_message(lambda m: m["text"] == "It ships today.")
        customer.say("great, thanks")
        await view.wait_message(lambda m: m["text"] == "great, thanks")
        admin.post(f"/api/agent/handoffs/{handoff_id}/resolve")
        await widget.wait_message(lambda m: m["data"].get("rating_request") == handoff_id)
        admin.post(f"/api/agent/handoffs/{waiting_id}/claim")
        admin.post(f"/api/agent/handoffs/{waiting_id}/resolve")

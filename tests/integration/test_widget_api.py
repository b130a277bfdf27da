"""The service side of the widget and the console: retries sent once, signed identity, what only agents see,
notes, tags and search, topics, a late ticket. Against the real service (shared `live` stack)."""

import httpx

from faqbot.conversations.identity import sign_identity
from tests.live import AgentClient, Customer


def test_a_retried_message_with_the_same_client_id_is_stored_and_answered_once(live):
    customer = Customer(live.web_url)
    body = {"text": "how much is shipping", "client_id": "retry-test-0001"}
    first = customer.http.post(f"/api/conversations/{customer.id}/messages", json=body).json()
    again = customer.http.post(f"/api/conversations/{customer.id}/messages", json=body).json()
    assert [m["seq"] for m in again["messages"]] == [m["seq"] for m in first["messages"]]
    said = [m for m in customer.history() if m["sender"] == "customer"]
    assert [m["text"] for m in said] == ["how much is shipping"]
    bad = customer.http.post(f"/api/conversations/{customer.id}/messages", json={"text": "x", "client_id": "no spaces!"})
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_request"


def test_an_identity_counts_as_verified_only_with_the_right_signature(live):
    http = httpx.Client(base_url=live.web_url)
    unsigned = http.post("/api/conversations", json={"user": {"name": "Mei", "external_id": "cust-42",
                                                               "signature": "0" * 64}}).json()
    agent = AgentClient(live.web_url)
    seen = agent.http.get(f"/api/agent/conversations/{unsigned['conversation_id']}").json()["conversation"]
    assert seen["visitor"] == {"name": "Mei", "external_id": "cust-42", "verified": False}
    # the test stack has no FAQBOT_IDENTITY_SECRET: nothing can be verified, whatever the signature
    forged = sign_identity("guessed-secret", "cust-42")
    response = http.put(f"/api/conversations/{unsigned['conversation_id']}/user",
                        json={"external_id": "cust-42", "signature": forged},
                        headers={"Authorization": f"Bearer {unsigned['token']}"})
    assert response.json() == {"verified": False}


def test_internal_notes_and_the_customer_leaving_are_for_agents_only_and_conversations_can_be_found(live):
    customer = Customer(live.web_url)
    customer.say("Notes test: how much is shipping")
    agent = AgentClient(live.web_url)
    note = agent.post(f"/api/agent/conversations/{customer.id}/notes", json={"text": "VIP, handle with care"})
    assert note["message"]["data"]["audience"] == "agents"
    assert "VIP, handle with care" not in [m["text"] for m in customer.history()]
    transcript = agent.http.get(f"/api/agent/conversations/{customer.id}").json()["transcript"]
    assert "VIP, handle with care" in [m["text"] for m in transcript]
    tags = agent.http.put(f"/api/agent/conversations/{customer.id}/tags", json={"tags": ["VIP", " shipping ", "vip"]})
    assert tags.json() == {"tags": ["shipping", "vip"]}
    found = agent.http.get("/api/agent/conversations", params={"text": "NOTES TEST", "tag": "vip"}).json()
    assert [c["id"] for c in found["conversations"]] == [customer.id]
    assert found["conversations"][0]["summary"] == "Notes test: how much is shipping"
    assert agent.http.get("/api/agent/conversations", params={"text": "notes test", "tag": "other"}
                          ).json()["conversations"] == []
    bad = agent.http.get("/api/agent/conversations", params={"from": "yesterday"})
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_date"


def test_topics_come_from_the_knowledge_base_in_the_customers_script(live):
    simplified = httpx.get(live.web_url + "/api/widget/topics", params={"locale": "zh-Hans"}).json()["topics"]
    traditional = httpx.get(live.web_url + "/api/widget/topics", params={"locale": "zh-Hant"}).json()["topics"]
    english = httpx.get(live.web_url + "/api/widget/topics", params={"locale": "en"}).json()["topics"]
    assert english[0]["category"] == "shipping" and english[0]["articles"]
    titles = {a["id"]: a["title"] for t in simplified for a in t["articles"]}
    traditional_titles = {a["id"]: a["title"] for t in traditional for a in t["articles"]}
    assert titles.keys() == traditional_titles.keys()
    assert any(titles[k] != traditional_titles[k] for k in titles)          # e.g. 账户 → 帳戶
    assert httpx.get(live.web_url + "/api/widget/topics", params={"locale": "fr"}).status_code == 422

"""Customer tokens expire with the conversation; retention; one customer's data exported and erased on
request (issue 13, findings 3 and 4)."""

import datetime as dt
import sqlite3

import pytest
from starlette.websockets import WebSocketDisconnect

from faqbot.customer_data import RasaTrackerStore
from storage import utcnow
from tests.unit import test_api
from tests.unit.test_api import error_code, login, start

client = test_api.client


def age(client, conversation_id: str, **delta) -> None:
    """Pretend the conversation's last message was `delta` ago."""
    store = client.app.state.services.core.conversations
    client.portal.call(lambda: store.update(conversation_id, last_activity_at=utcnow() - dt.timedelta(**delta)))


def say(client, cid, auth, text):
    response = client.post(f"/api/conversations/{cid}/messages", json={"text": text}, headers=auth)
    assert response.status_code == 200, response.text
    return response.json()


def test_a_customer_token_expires_with_the_conversation(client):
    cid, auth = start(client)
    say(client, cid, auth, "hello")
    assert client.get(f"/api/conversations/{cid}", headers=auth).status_code == 200
    age(client, cid, hours=25)
    response = client.get(f"/api/conversations/{cid}", headers=auth)
    assert response.status_code == 401 and error_code(response) == "conversation_expired"
    token = auth["Authorization"].split()[1]
    with pytest.raises(WebSocketDisconnect) as closed:
        with client.websocket_connect(f"/api/conversations/{cid}/events?token={token}") as ws:
            ws.receive_json()
    assert closed.value.code == 4401


def test_retention_erases_old_transcripts_and_keeps_recent_ones(client):
    old, old_auth = start(client)
    say(client, old, old_auth, "my email is old.customer@example.com, where is my parcel?")  # Rasa down: handoff
    client.post(f"/api/conversations/{old}/ticket", headers=old_auth,
                json={"message": "call me", "phone": "13812345678"})
    recent, recent_auth = start(client)
    say(client, recent, recent_auth, "hello")
    age(client, old, days=91)
    data = client.app.state.services.customer_data
    assert client.portal.call(data.apply_retention) == 1
    assert client.get(f"/api/conversations/{old}", headers=old_auth).status_code == 403  # the token is dead
    store = client.app.state.services.core.conversations
    assert client.portal.call(lambda: store.messages(old)) == []
    admin = login(client)
    assert client.get("/api/privacy/customers", params={"email": "old.customer@example.com"},
                      headers=admin).json()["conversations"] == []
    [ticket] = client.portal.call(lambda: client.app.state.services.core.handoffs.history(old))[0]
    assert ticket.contact == {} and ticket.status.value == "ticket"  # the statistics keep the handoff
    assert len(client.get(f"/api/conversations/{recent}/messages", headers=recent_auth).json()["messages"]) >= 1


def test_an_admin_exports_and_erases_one_customers_data(client):
    cid, auth = start(client)
    say(client, cid, auth, "I am jane.doe@example.com, my phone is +86 138 1234 5678")
    other, other_auth = start(client)
    say(client, other, other_auth, "someone else")
    admin = login(client)
    for query in ({"email": "JANE.DOE@example.com"}, {"phone": "13812345678"}, {"conversation_id": cid}):
        exported = client.get("/api/privacy/customers", params=query, headers=admin).json()["conversations"]
        assert [c["conversation_id"] for c in exported] == [cid], query
        assert exported[0]["contact"]["email"] == "jane.doe@example.com" and exported[0]["messages"]
    assert client.get("/api/privacy/customers", headers=admin).status_code == 422
    erased = client.delete("/api/privacy/customers", params={"email": "jane.doe@example.com"}, headers=admin)
    assert erased.json() == {"erased": [cid]}
    assert client.get("/api/privacy/customers", params={"conversation_id": cid}, headers=admin).json()[
        "conversations"][0]["messages"] == []
    assert client.get(f"/api/conversations/{other}/messages", headers=other_auth).json()["messages"]


def test_only_admins_handle_customers_data(client):
    admin = login(client)
    client.post("/api/agent/agents", json={"username": "sam", "password": "sam-secret-pw"}, headers=admin)
    sam = login(client, "sam", "sam-secret-pw")
    assert client.get("/api/privacy/customers", params={"email": "a@b.co"}, headers=sam).status_code == 403
    assert client.delete("/api/privacy/customers", params={"email": "a@b.co"}, headers=sam).status_code == 403


def test_a_customer_exports_and_erases_their_own_conversation(client):
    cid, auth = start(client)
    say(client, cid, auth, "hello there")
    exported = client.get(f"/api/conversations/{cid}/export", headers=auth).json()
    assert exported["conversations"][0]["messages"][0]["text"] == "hello there"
    assert client.delete(f"/api/conversations/{cid}", headers=auth).status_code == 204
    assert client.get(f"/api/conversations/{cid}", headers=auth).status_code == 403


def test_rasas_tracker_events_of_a_conversation_are_deleted(tmp_path):
    path = tmp_path / "rasa_tracker.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id TEXT, data TEXT)")
        conn.executemany("INSERT INTO events (sender_id, data) VALUES (?, ?)",
                         [("c1", "x"), ("c1", "y"), ("c2", "z")])
    import anyio

    assert anyio.run(RasaTrackerStore(path).forget, "c1") == 2
    with sqlite3.connect(path) as conn:
        assert [r[0] for r in conn.execute("SELECT sender_id FROM events")] == ["c2"]

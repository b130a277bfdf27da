"""The real FastAPI app and database, with the hashing encoder and no Rasa server listening."""

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from embeddings import HashingEncoder
from faqbot.app import create_app
from faqbot.launcher import free_port
from faqbot.settings import Settings
from tests.factories import fake_detector


@pytest.fixture
def client(tmp_path: Path):
    settings = Settings(data_dir=tmp_path, rasa_url=f"http://127.0.0.1:{free_port()}", rasa_timeout_seconds=2,
                        bootstrap_agent="alice:secret-pw", action_token="action-secret")
    app = create_app(settings, encoder=HashingEncoder(), frustration_detector=fake_detector())
    with TestClient(app) as test_client:
        yield test_client


def start(client) -> tuple[str, dict[str, str]]:
    body = client.post("/api/conversations", json={"page_url": "https://shop.example/"}).json()
    return body["conversation_id"], {"Authorization": f"Bearer {body['token']}"}


def login(client, username="alice", password="secret-pw") -> dict[str, str]:
    token = client.post("/api/agent/login", json={"username": username, "password": password}).json()["token"]
    return {"Authorization": f"Bearer {token}"}


def error_code(response) -> str:
    return response.json()["error"]["code"]


def test_start_returns_an_id_and_a_token(client):
    response = client.post("/api/conversations")
    assert response.status_code == 201
    body = response.json()
    assert len(body["token"]) >= 32 and body["mode"] == "bot"


@pytest.mark.parametrize(
    ("payload", "status", "code"),
    [
        ({"text": ""}, 422, "invalid_request"),  # the schema says non-empty text (minLength, a non-space)
        ({"text": "   "}, 422, "invalid_request"),
        ({"text": "x" * 2001}, 413, "message_too_long"),
        ({}, 422, "invalid_request"),
        ({"text": 5}, 422, "invalid_request"),
    ],
)
def test_bad_messages_get_a_clear_error(client, payload, status, code):
    cid, auth = start(client)
    response = client.post(f"/api/conversations/{cid}/messages", json=payload, headers=auth)
    assert response.status_code == status and error_code(response) == code
    assert response.json()["error"]["message"]
    assert client.get(f"/api/conversations/{cid}/messages", headers=auth).json()["messages"] == []


def test_broken_json_is_a_400(client):
    cid, auth = start(client)
    response = client.post(f"/api/conversations/{cid}/messages", content=b'{"text": "hi"',
                           headers={**auth, "Content-Type": "application/json"})
    assert response.status_code == 400 and error_code(response) == "malformed_json"


def test_unknown_conversation_and_wrong_token(client):
    cid, auth = start(client)
    assert error_code(client.post("/api/conversations/nope/messages", json={"text": "hi"}, headers=auth)) == \
        "conversation_not_found"
    response = client.post(f"/api/conversations/{cid}/messages", json={"text": "hi"},
                           headers={"Authorization": "Bearer wrong"})
    assert response.status_code == 403 and error_code(response) == "access_denied"


def test_dead_rasa_means_a_handoff_not_an_error(client):
    cid, auth = start(client)
    response = client.post(f"/api/conversations/{cid}/messages", json={"text": "where is my parcel?"}, headers=auth)
    assert response.status_code == 200
    body = response.json()
    assert body["mode"] == "human" and body["handoff"]["reason"] == "bot_unavailable"
    assert [m["sender"] for m in body["messages"]] == ["customer", "system", "system"]
    assert body["messages"][2]["data"]["event"] == "agents_unavailable"  # no one online: leave a message
    queue = client.get("/api/agent/handoffs", headers=login(client)).json()["handoffs"]
    assert [(h["conversation_id"], h["reason"]) for h in queue] == [(cid, "bot_unavailable")]
    assert queue[0]["summary"] == "where is my parcel?"


def test_agent_endpoints_need_a_session(client):
    assert client.get("/api/agent/handoffs").status_code == 401
    assert client.get("/api/agent/handoffs", headers={"Authorization": "Bearer nope"}).status_code == 401
    response = client.post("/api/agent/login", json={"username": "alice", "password": "wrong"})
    assert response.status_code == 401 and error_code(response) == "not_authenticated"


def test_agent_flow_and_conflicts(client):
    cid, auth = start(client)
    client.post(f"/api/conversations/{cid}/messages", json={"text": "help"}, headers=auth)
    alice = login(client)
    handoff_id = client.get("/api/agent/handoffs", headers=alice).json()["handoffs"][0]["id"]
    assert error_code(client.get("/api/agent/handoffs/missing", headers=alice)) == "handoff_not_found"
    assert client.post(f"/api/agent/handoffs/{handoff_id}/messages", json={"text": "hi"},
                       headers=alice).status_code == 409
    assert client.post(f"/api/agent/handoffs/{handoff_id}/claim", headers=alice).json()["handoff"]["status"] == \
        "assigned"
    reply = client.post(f"/api/agent/handoffs/{handoff_id}/messages", json={"text": "Alice here"}, headers=alice)
    assert reply.status_code == 201
    detail = client.get(f"/api/agent/handoffs/{handoff_id}", headers=alice).json()
    assert [m["sender"] for m in detail["transcript"]] == ["customer", "system", "system", "system", "agent"]
    assert [e["kind"] for e in detail["history"]] == ["queued", "assigned", "first_reply"]
    resolved = client.post(f"/api/agent/handoffs/{handoff_id}/resolve", headers=alice).json()
    assert resolved["handoff"]["status"] == "resolved"  # Rasa is down: no greeting, but nothing lost
    assert client.post(f"/api/agent/handoffs/{handoff_id}/resolve", headers=alice).status_code == 409


def test_websocket_replays_after_a_sequence_number(client):
    cid, auth = start(client)
    client.post(f"/api/conversations/{cid}/messages", json={"text": "first"}, headers=auth)
    token = auth["Authorization"].split()[1]
    with client.websocket_connect(f"/api/conversations/{cid}/events?token={token}&after=1") as ws:
        replayed = [ws.receive_json()["message"]["seq"] for _ in range(2)]
        assert replayed == [2, 3]
        ws.send_json({"type": "ping"})
        assert ws.receive_json() == {"type": "pong"}


def test_websocket_refuses_a_wrong_token(client):
    cid, _ = start(client)
    with pytest.raises(WebSocketDisconnect) as info:
        with client.websocket_connect(f"/api/conversations/{cid}/events?token=wrong") as ws:
            ws.receive_json()
    assert info.value.code == 4403


def _action_call(action: str, text: str, intent: str, sender: str = "c1") -> dict:
    return {
        "next_action": action, "sender_id": sender, "version": "3.6.21", "domain": {},
        "tracker": {"sender_id": sender, "slots": {}, "latest_message": {"text": text, "intent": {"name": intent}},
                    "events": [], "paused": False, "followup_action": None, "active_loop": {},
                    "latest_action_name": "action_listen"},
    }


def test_action_endpoint_speaks_the_rasa_protocol(client):
    url = "/actions/webhook?token=action-secret"
    cid, _ = start(client)
    result = client.post(url, json=_action_call("action_answer_from_kb", "How do I reset my password?",
                                                "ask_question", cid)).json()
    assert result["responses"][0]["custom"]["outcome"] in ("answer", "unsure")
    assert any(e["event"] == "slot" for e in result["events"])
    missing = client.post(url, json=_action_call("action_nope", "x", "greet", cid))
    assert missing.status_code == 404 and missing.json()["action_name"] == "action_nope"
    assert client.post(url, content=b"{", headers={"Content-Type": "application/json"}).status_code == 400
    assert client.post("/actions/webhook?token=wrong", json=_action_call("action_handoff", "x", "x")).status_code == 401
    unknown = client.post(url, json=_action_call("action_handoff", "I want a person", "request_human", "ghost"))
    assert unknown.status_code == 404 and error_code(unknown) == "conversation_not_found"
    assert client.get("/api/agent/handoffs", headers=login(client)).json()["handoffs"] == []


def test_pages_and_health_are_served(client):
    assert "/static/dist/assets/widget-" in client.get("/").text          # the built widget app
    assert client.get("/agent", follow_redirects=False).headers["location"] == "/app/inbox"
    assert "/static/dist/assets/app-" in client.get("/app/inbox").text    # the back office
    script = client.get("/widget.js")
    assert "faqbot-frame" in script.text and script.headers["content-type"] == "text/javascript; charset=utf-8"
    health = client.get("/healthz").json()
    assert health["published_articles"] == 80 and health["rasa_ready"] is False


def test_handoff_desk_endpoints_refuse_bad_requests_clearly(client):
    cid, auth = start(client)
    assert error_code(client.post(f"/api/conversations/{cid}/rating", json={"score": 4}, headers=auth)) == \
        "invalid_handoff_state"  # nothing to rate yet
    assert error_code(client.post(f"/api/conversations/{cid}/ticket", json={"message": "hi", "email": "a@b.co"},
                                  headers=auth)) == "invalid_handoff_state"  # not waiting for anyone
    assert client.post(f"/api/conversations/{cid}/leave", headers=auth).json() == {"handoff": None}
    assert client.post(f"/api/conversations/{cid}/ticket", json={"message": "hi", "email": "not-an-email"},
                       headers=auth).status_code == 422
    alice = login(client)
    assert error_code(client.put("/api/agent/me/presence", json={"presence": "asleep"}, headers=alice)) == \
        "invalid_request"
    assert client.post("/api/agent/handoffs/missing/transfer", json={"agent_id": "x"},
                       headers=alice).status_code == 409  # no such agent is checked before the handoff


def test_agent_accounts_profiles_and_canned_replies(client):
    alice = login(client)
    created = client.post("/api/agent/agents", json={"username": "sam", "password": "sam-secret",
                                                     "skills": ["Shipping"], "languages": ["en"], "max_concurrent": 2},
                          headers=alice)
    assert created.status_code == 201
    assert (created.json()["agent"]["skills"], created.json()["agent"]["presence"]) == (["shipping"], "offline")
    assert client.post("/api/agent/agents", json={"username": "sam", "password": "other-secret"},
                       headers=alice).status_code == 409
    sam = login(client, "sam", "sam-secret")
    assert client.post("/api/agent/agents", json={"username": "eve", "password": "eve-secret"},
                       headers=sam).status_code == 403  # only admins manage accounts
    assert client.put("/api/agent/me/presence", json={"presence": "away"}, headers=sam).json()["agent"][
        "presence"] == "away"
    team = {a["username"]: a for a in client.get("/api/agent/team", headers=alice).json()["agents"]}
    assert team["sam"]["presence"] == "away" and team["sam"]["max_concurrent"] == 2

    saved = client.post("/api/agent/canned", json={"title": "Greeting", "text": "Hi, how can I help?",
                                                    "language": "en"}, headers=sam)
    assert saved.status_code == 201 and saved.json()["reply"]["shared"] is False  # personal unless said
    mine = client.get("/api/agent/canned", headers=sam).json()["replies"]
    assert [(r["title"], r["text"], r["mine"]) for r in mine] == [("Greeting", "Hi, how can I help?", True)]
    assert client.get("/api/agent/canned", headers=alice).json()["replies"] == []  # sam's own
    assert error_code(client.delete(f"/api/agent/canned/{mine[0]['id']}", headers=alice)) == \
        "canned_reply_not_found"
    assert client.delete(f"/api/agent/canned/{mine[0]['id']}", headers=sam).status_code == 204
    assert error_code(client.delete(f"/api/agent/canned/{mine[0]['id']}", headers=sam)) == \
        "canned_reply_not_found"


def test_agent_conversation_socket_needs_a_session_and_a_real_handoff(client):
    with pytest.raises(WebSocketDisconnect) as info:
        with client.websocket_connect("/api/agent/handoffs/x/events?token=wrong") as ws:
            ws.receive_json()
    assert info.value.code == 4401
    token = login(client)["Authorization"].split()[1]
    with pytest.raises(WebSocketDisconnect) as info:
        with client.websocket_connect(f"/api/agent/handoffs/missing/events?token={token}") as ws:
            ws.receive_json()
    assert info.value.code == 4404

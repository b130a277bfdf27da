"""Inputs that used to end in an unhandled 500 (issue 13, finding 5) get a clear 4xx and lose nothing."""

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from embeddings import HashingEncoder
from faqbot.app import create_app
from faqbot.launcher import free_port
from faqbot.settings import Settings
from tests.factories import fake_detector
from tests.unit import test_api
from tests.unit.test_api import error_code, login, start

client = test_api.client  # the real app with no Rasa listening

HUGE = "9223372036854775808"  # 2**63: overflows SQLite's and PostgreSQL's integers


def test_a_non_ascii_action_token_is_refused_not_a_crash(client):
    response = client.post("/actions/webhook?token=%C3%A9t%C3%A9", json={"tracker": {}})
    assert response.status_code == 401 and error_code(response) == "not_authenticated"


def test_the_action_endpoint_needs_a_token_even_when_none_is_configured(tmp_path: Path):
    settings = Settings(data_dir=tmp_path, rasa_url=f"http://127.0.0.1:{free_port()}", action_token="")
    app = create_app(settings, encoder=HashingEncoder(), frustration_detector=fake_detector())
    with TestClient(app) as test_client:
        for url in ("/actions/webhook", "/actions/webhook?token="):
            response = test_client.post(url, json={"next_action": "action_handoff", "tracker": {"sender_id": "x"}})
            assert response.status_code == 401, url


def test_a_lone_surrogate_in_a_message_is_stored_not_lost(client):
    cid, auth = start(client)
    response = client.post(f"/api/conversations/{cid}/messages", content=b'{"text": "x \\ud800 y"}',
                           headers={**auth, "Content-Type": "application/json"})
    assert response.status_code == 200, response.text
    stored = client.get(f"/api/conversations/{cid}/messages", headers=auth).json()["messages"]
    assert stored[0]["sender"] == "customer" and stored[0]["text"] == "x \ufffd y"


def test_lone_surrogates_anywhere_in_a_body_are_storable(client):
    alice = login(client)
    response = client.post("/api/agent/canned", content=b'{"title": "t\\udfff", "text": "\\ud83d\\ude00 ok"}',
                           headers={**alice, "Content-Type": "application/json"})
    assert response.status_code == 201, response.text
    assert response.json()["reply"]["title"] == "t\ufffd" and response.json()["reply"]["text"] == "😀 ok"


def test_a_huge_after_on_the_history_route_is_a_422(client):
    cid, auth = start(client)
    response = client.get(f"/api/conversations/{cid}/messages?after={HUGE}", headers=auth)
    assert response.status_code == 422 and error_code(response) == "invalid_request"
    assert client.get(f"/api/conversations/{cid}/messages?after=2147483647", headers=auth).status_code == 200


@pytest.mark.parametrize("path", ["/api/conversations/{cid}/events?token={token}&after=" + HUGE])
def test_a_huge_after_on_the_customer_socket_closes_it_clearly(client, path):
    cid, auth = start(client)
    token = auth["Authorization"].split()[1]
    with pytest.raises(WebSocketDisconnect) as info:
        with client.websocket_connect(path.format(cid=cid, token=token)) as ws:
            ws.receive_json()
    assert info.value.code == 4400


def test_a_huge_after_on_the_agent_socket_closes_it_clearly(client):
    token = login(client)["Authorization"].split()[1]
    with pytest.raises(WebSocketDisconnect) as info:
        with client.websocket_connect(f"/api/agent/handoffs/any/events?token={token}&after={HUGE}") as ws:
            ws.receive_json()
    assert info.value.code == 4400


@pytest.mark.parametrize("path", [f"/api/kb/articles/refund-timing-en/versions/{HUGE}",
                                  f"/api/kb/articles/refund-timing-en/diff?from=1&to={HUGE}"])
def test_huge_article_versions_are_a_422(client, path):
    response = client.get(path, headers=login(client))
    assert response.status_code == 422 and error_code(response) == "invalid_request"

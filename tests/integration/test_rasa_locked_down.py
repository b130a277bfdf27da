"""Rasa is reachable only by the web service (issue 13, finding 1).

Its HTTP API and its REST channel need the service's JWT; a browser page's `text/plain` POST cannot
drive the bot; the secret is not on Rasa's command line; and a conversation the service does not know
cannot get a handoff (which used to break the agents' queue).
"""

import json
from pathlib import Path

import httpx
import jwt
import pytest

from faqbot.rasa_gateway import RasaServiceAuth
from tests.live import AgentClient, Customer

FORGED = {"Authorization": "Bearer " + jwt.encode({"user": {"username": "x", "role": "admin"}, "exp": 2**33},
                                                  "not-the-secret-but-just-as-long-as-one", algorithm="HS256")}
OPEN_BEFORE = [
    ("GET", "/status", None),
    ("GET", "/conversations/{cid}/tracker", None),
    ("POST", "/conversations/{cid}/tracker/events", [{"event": "slot", "name": "order_number", "value": "INJ"}]),
    ("POST", "/conversations/{cid}/execute", {"name": "action_handoff"}),
    ("POST", "/model/parse", {"text": "hello"}),
    ("POST", "/webhooks/rest/webhook", {"sender": "{cid}", "message": "I want a person"}),
    ("POST", "/webhooks/faqbot/webhook", {"sender": "{cid}", "text": "I want a person", "metadata": {}}),
]


@pytest.fixture(scope="module")
def conversation(live):
    customer = Customer(live.web_url)
    assert customer.say("hello")["mode"] == "bot"
    return customer


@pytest.mark.parametrize(("method", "path", "body"), OPEN_BEFORE)
@pytest.mark.parametrize("headers", [{}, FORGED], ids=["no token", "forged token"])
def test_rasa_refuses_anyone_without_the_services_jwt(live, conversation, method, path, body, headers):
    url = live.rasa_url + path.format(cid=conversation.id)
    payload = None if body is None else _fill(body, conversation.id)
    response = httpx.request(method, url, json=payload, headers=headers, timeout=10)
    assert response.status_code == 401, (path, response.status_code, response.text[:200])


def test_a_text_plain_post_from_a_web_page_cannot_drive_the_bot(live, conversation):
    plain = {"Content-Type": "text/plain", "Origin": "https://evil.example"}
    signed = {**plain, "Authorization": f"Bearer {RasaServiceAuth(live.settings.rasa_jwt_secret).bearer()}"}
    for channel, body in (("rest", {"sender": conversation.id, "message": "/request_human"}),
                          ("faqbot", {"sender": conversation.id, "text": "/request_human", "metadata": {}})):
        url = f"{live.rasa_url}/webhooks/{channel}/webhook"
        assert httpx.post(url, content=json.dumps(body), headers=plain).status_code == 401
        assert httpx.post(url, content=json.dumps(body), headers=signed).status_code == 415
    assert conversation.http.get(f"/api/conversations/{conversation.id}").json()["mode"] == "bot"


def test_the_service_itself_still_talks_to_rasa(live, conversation):
    auth = RasaServiceAuth(live.settings.rasa_jwt_secret)
    tracker = httpx.get(f"{live.rasa_url}/conversations/{conversation.id}/tracker", auth=auth, timeout=10)
    assert tracker.status_code == 200 and tracker.json()["sender_id"] == conversation.id
    assert conversation.say("where is my parcel?")["messages"][1]["sender"] == "bot"


def test_a_conversation_the_service_does_not_know_gets_no_handoff(live):
    auth = RasaServiceAuth(live.settings.rasa_jwt_secret)
    ghost = "ghost-conversation"
    httpx.post(f"{live.rasa_url}/webhooks/rest/webhook", json={"sender": ghost, "message": "I want a person"},
               auth=auth, timeout=30)
    agent = AgentClient(live.web_url)
    response = agent.http.get("/api/agent/handoffs")
    assert response.status_code == 200
    assert ghost not in [h["conversation_id"] for h in response.json()["handoffs"]]


def test_rasa_listens_on_loopback_and_its_command_line_holds_no_secret(live):
    pid = live.processes["rasa"].pid
    argv = Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")
    assert argv[argv.index("--interface") + 1] == "127.0.0.1"
    assert live.settings.rasa_jwt_secret not in " ".join(argv)
    assert live.settings.action_token not in " ".join(argv)


def _fill(body, cid):
    if isinstance(body, dict):
        return {k: (v.format(cid=cid) if isinstance(v, str) else v) for k, v in body.items()}
    return body

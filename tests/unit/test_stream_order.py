"""A conversation's stream sends each message once and in order even when live events arrive out of order
or not at all (several processes publish; Redis may restart): a gap or a `resync` is filled from the
database."""

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from embeddings import HashingEncoder
from faqbot.app import create_app
from faqbot.conversations import Sender
from faqbot.conversations.hub import conversation_topic
from faqbot.launcher import free_port
from faqbot.settings import Settings
from tests.factories import fake_detector


@pytest.fixture
def client(tmp_path: Path):
    settings = Settings(data_dir=tmp_path, rasa_url=f"http://127.0.0.1:{free_port()}", rasa_timeout_seconds=2,
                        action_token="action-secret")
    with TestClient(create_app(settings, encoder=HashingEncoder(), frustration_detector=fake_detector())) as c:
        yield c


def test_gaps_and_resyncs_are_filled_from_the_database_once_and_in_order(client):
    body = client.post("/api/conversations").json()
    cid, token = body["conversation_id"], body["token"]
    services = client.app.state.services

    def store(text: str) -> dict:
        async def append():
            return (await services.core.conversations.append(cid, Sender.AGENT, text, {})).to_json()
        return client.portal.call(append)

    def publish(event: dict) -> None:
        async def send():
            services.hub.publish(conversation_topic(cid), event)
        client.portal.call(send)

    with client.websocket_connect(f"/api/conversations/{cid}/events?token={token}&after=0") as ws:
        ws.send_json({"type": "ping"})
        assert ws.receive_json() == {"type": "pong"}  # nothing stored yet
        one, two = store("one"), store("two")  # stored by "another process" whose events are late
        publish({"type": "message", "message": two})  # the later one arrives first
        assert [ws.receive_json()["message"]["text"] for _ in range(2)] == ["one", "two"]
        publish({"type": "message", "message": one})  # the late one: already sent, dropped
        publish({"type": "message", "message": two})  # twice: dropped
        three = store("three")  # its event is lost (Redis was down) ...
        publish({"type": "resync"})  # ... the hub reconnected
        assert ws.receive_json()["message"] == three
        ws.send_json({"type": "ping"})
        assert ws.receive_json() == {"type": "pong"}  # nothing else came: each message exactly once

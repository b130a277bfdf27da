"""Starting the real product (Rasa server + web service processes) for integration and browser tests."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from faqbot.launcher import Stack, default_rasa_bin, ensure_model, free_port, running
from faqbot.settings import REPO_ROOT, Settings

AGENT = ("alice", "secret-pw")


def trained_model() -> Path:
    rasa_bin = default_rasa_bin()
    if not rasa_bin.exists():
        pytest.fail(f"no Rasa at {rasa_bin}: run scripts/bootstrap.sh (or set FAQBOT_RASA_BIN)")
    return ensure_model(REPO_ROOT / "var" / "models", rasa_bin, log_file=REPO_ROOT / "var" / "logs" / "train.log")


@contextmanager
def running_stack(data_dir: Path) -> Iterator[Stack]:
    settings = Settings(data_dir=data_dir, port=free_port(), bootstrap_agent=":".join(AGENT),
                        action_token=secrets.token_urlsafe(16))
    with running(settings, free_port(), trained_model(), log_dir=data_dir / "logs") as stack:
        yield stack


class Customer:
    """A widget's side of a conversation, over HTTP."""

    def __init__(self, base_url: str) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=30)
        body = self.http.post("/api/conversations", json={"page_url": "https://shop.example/help"}).json()
        self.id: str = body["conversation_id"]
        self.token: str = body["token"]
        self.http.headers["Authorization"] = f"Bearer {self.token}"

    def say(self, text: str) -> dict:
        response = self.http.post(f"/api/conversations/{self.id}/messages", json={"text": text})
        assert response.status_code == 200, response.text
        return response.json()

    def press(self, button: dict) -> dict:
        """Press one of a bot message's buttons."""
        response = self.http.post(f"/api/conversations/{self.id}/messages",
                                  json={"text": button["title"], "payload": button["payload"]})
        assert response.status_code == 200, response.text
        return response.json()

    def history(self, after: int = 0) -> list[dict]:
        return self.http.get(f"/api/conversations/{self.id}/messages", params={"after": after}).json()["messages"]

    def events_url(self, after: int = 0) -> str:
        base = str(self.http.base_url).replace("http://", "ws://").rstrip("/")
        return f"{base}/api/conversations/{self.id}/events?token={self.token}&after={after}"


class AgentClient:
    def __init__(self, base_url: str, username: str = AGENT[0], password: str = AGENT[1]) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=30)
        token = self.http.post("/api/agent/login", json={"username": username, "password": password}).json()["token"]
        self.http.headers["Authorization"] = f"Bearer {token}"

    def handoff_for(self, conversation_id: str) -> dict:
        queue = self.http.get("/api/agent/handoffs").json()["handoffs"]
        [handoff] = [h for h in queue if h["conversation_id"] == conversation_id]
        return handoff

    def detail(self, handoff_id: str) -> dict:
        return self.http.get(f"/api/agent/handoffs/{handoff_id}").json()

    def post(self, path: str, **kwargs) -> dict:
        response = self.http.post(path, **kwargs)
        assert response.status_code < 300, response.text
        return response.json()

"""Starting the real product (Rasa server + web service processes) for integration and browser tests."""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import websockets

from faqbot.launcher import Stack, default_rasa_bin, ensure_model, free_port, running
from faqbot.settings import REPO_ROOT, Settings

AGENT = ("alice", "secret-pw")
# The suite's many customers and agents all come from 127.0.0.1 within minutes: the shared stacks lift the
# per-address and per-conversation limits (tests of the limits themselves use the defaults or their own).
TEST_LIMITS = {"rate_login_per_ip": "10000/minute", "rate_conversations_per_ip": "10000/minute",
               "rate_messages_per_ip": "10000/minute", "rate_messages_per_conversation": "1000/minute"}


def trained_model() -> Path:
    rasa_bin = default_rasa_bin()
    if not rasa_bin.exists():
        pytest.fail(f"no Rasa at {rasa_bin}: run scripts/bootstrap.sh (or set FAQBOT_RASA_BIN)")
    return ensure_model(REPO_ROOT / "var" / "models", rasa_bin, log_file=REPO_ROOT / "var" / "logs" / "train.log")


@contextmanager
def running_stack(data_dir: Path, **overrides: object) -> Iterator[Stack]:
    """Rasa and the web service on free ports, with a fresh database in `data_dir` (settings overridable)."""
    settings = Settings(data_dir=data_dir, port=free_port(), bootstrap_agent=":".join(AGENT),  # type: ignore[arg-type]
                        action_token=secrets.token_urlsafe(16), **{**TEST_LIMITS, **overrides})
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

    def feed(self, after: int = 0) -> Feed:
        return Feed(self.events_url(after))

    def events_url(self, after: int = 0) -> str:
        base = str(self.http.base_url).replace("http://", "ws://").rstrip("/")
        return f"{base}/api/conversations/{self.id}/events?token={self.token}&after={after}"


class AgentClient:
    def __init__(self, base_url: str, username: str = AGENT[0], password: str = AGENT[1]) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=30)
        body = self.http.post("/api/agent/login", json={"username": username, "password": password}).json()
        self.token: str = body["token"]
        self.me: dict = body["agent"]
        self.http.headers["Authorization"] = f"Bearer {self.token}"

    def queue(self) -> list[dict]:
        return self.http.get("/api/agent/handoffs").json()["handoffs"]

    def console(self) -> Feed:
        """The console's live connection; while it is open the agent is present."""
        return Feed(f"{ws_base(str(self.http.base_url))}/api/agent/events?token={self.token}")

    def conversation(self, handoff_id: str, after: int = 0) -> Feed:
        base = ws_base(str(self.http.base_url))
        return Feed(f"{base}/api/agent/handoffs/{handoff_id}/events?token={self.token}&after={after}")

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


class Feed:
    """A live WebSocket (customer widget or agent console), collecting every event it receives."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.events: list[dict] = []
        self._ws = None
        self._reader: asyncio.Task | None = None

    async def __aenter__(self) -> Feed:
        self._ws = await websockets.connect(self.url)
        self._reader = asyncio.create_task(self._read())
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        if self._ws is not None:
            await self._ws.close()
        if self._reader is not None:
            with contextlib.suppress(Exception):
                await self._reader

    async def _read(self) -> None:
        with contextlib.suppress(websockets.ConnectionClosed):
            async for raw in self._ws:
                self.events.append(json.loads(raw))

    async def send(self, event: dict) -> None:
        await self._ws.send(json.dumps(event))

    def messages(self) -> list[dict]:
        return [e["message"] for e in self.events if e.get("type") == "message"]

    async def wait_for(self, predicate, timeout: float = 20, what: str = "an event") -> dict:
        """The first event (already received or still to come) for which `predicate` is true."""
        deadline = asyncio.get_running_loop().time() + timeout
        seen = 0
        while True:
            for event in self.events[seen:]:
                if predicate(event):
                    return event
            seen = len(self.events)
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"no {what} within {timeout:.0f} s; got {self.events[-5:]}")
            await asyncio.sleep(0.05)

    async def wait_message(self, predicate, timeout: float = 20, what: str = "a message") -> dict:
        event = await self.wait_for(lambda e: e.get("type") == "message" and predicate(e["message"]), timeout, what)
        return event["message"]


def ws_base(base_url: str) -> str:
    return base_url.replace("http://", "ws://").rstrip("/")

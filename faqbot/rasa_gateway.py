"""The Rasa server over HTTP: its REST channel for messages, its HTTP API for tracker changes."""

from __future__ import annotations

import logging
import time
from collections.abc import Generator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx
import jwt

log = logging.getLogger(__name__)


class RasaUnavailable(Exception):
    """Rasa did not answer (down, timed out, or answered with an error)."""


@dataclass(frozen=True)
class BotReply:
    text: str
    buttons: list[dict[str, str]] = field(default_factory=list)
    custom: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ParsedTurn:
    intent: str | None
    confidence: float | None
    entities: list[dict[str, Any]]
    paused: bool
    slots: dict[str, Any]


def merge_replies(raw: list[dict[str, Any]]) -> list[BotReply]:
    """Rasa sends a message's custom payload as a message of its own: fold it into the text before it."""
    replies: list[BotReply] = []
    for item in raw:
        text = item.get("text") or ""
        custom = item.get("custom") if isinstance(item.get("custom"), dict) else {}
        buttons = item.get("buttons") or []
        if not text and custom and replies and not replies[-1].custom:
            last = replies.pop()
            replies.append(BotReply(last.text, last.buttons, custom))
        elif text or custom:
            replies.append(BotReply(text, list(buttons), dict(custom)))
    return replies


class RasaServiceAuth(httpx.Auth):
    """Signs every request to Rasa with a short-lived JWT (HS256, role admin) made from the shared secret.

    Rasa's HTTP API checks it (`--jwt-secret`), and so does the REST channel (`bot/channels.py`).
    """

    LIFETIME_SECONDS = 300

    def __init__(self, secret: str) -> None:
        self._secret = secret
        self._token = ""
        self._renew_at = 0.0

    def bearer(self) -> str:
        now = time.time()
        if now >= self._renew_at:
            payload = {"user": {"username": "faqbot-service", "role": "admin"},
                       "iat": int(now), "exp": int(now) + self.LIFETIME_SECONDS}
            self._token = jwt.encode(payload, self._secret, algorithm="HS256")
            self._renew_at = now + self.LIFETIME_SECONDS / 2
        return self._token

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = f"Bearer {self.bearer()}"
        yield request


class RasaGateway:
    def __init__(self, base_url: str, timeout_seconds: float, client: httpx.AsyncClient | None = None,
                 *, jwt_secret: str = "") -> None:
        self._base = base_url.rstrip("/")
        self._client = client or httpx.AsyncClient(
            timeout=timeout_seconds, auth=RasaServiceAuth(jwt_secret) if jwt_secret else None)

    async def aclose(self) -> None:
        await self._client.aclose()

    async def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = await self._client.request(method, self._base + path, **kwargs)
        except httpx.HTTPError as exc:
            raise RasaUnavailable(f"Rasa did not answer {method} {path}: {exc.__class__.__name__}") from exc
        if response.status_code >= 400:
            raise RasaUnavailable(f"Rasa answered {method} {path} with HTTP {response.status_code}")
        try:
            return response.json()
        except ValueError as exc:
            raise RasaUnavailable(f"Rasa answered {method} {path} with invalid JSON") from exc

    async def send(self, conversation_id: str, text: str, metadata: dict[str, Any] | None = None) -> list[BotReply]:
        raw = await self._request(
            "POST", "/webhooks/rest/webhook",
            json={"sender": conversation_id, "message": text, "metadata": metadata or {}},
        )
        return merge_replies(raw if isinstance(raw, list) else [])

    async def latest_turn(self, conversation_id: str) -> ParsedTurn:
        tracker = await self._request(
            "GET", f"/conversations/{quote(conversation_id, safe='')}/tracker", params={"include_events": "NONE"}
        )
        latest = tracker.get("latest_message") or {}
        intent = latest.get("intent") or {}
        return ParsedTurn(
            intent=intent.get("name"),
            confidence=intent.get("confidence"),
            entities=list(latest.get("entities") or []),
            paused=bool(tracker.get("paused")),
            slots=dict(tracker.get("slots") or {}),
        )

    async def resume(self, conversation_id: str) -> None:
        """Un-pause the conversation in Rasa (harmless if it was not paused).

        A paused tracker stopped right after the handoff action, before `action_listen`;
        adding it lets the rules match the next user turn again.
        """
        await self._request(
            "POST", f"/conversations/{quote(conversation_id, safe='')}/tracker/events",
            json=[{"event": "resume"}, {"event": "action", "name": "action_listen"}],
        )

    async def say(self, conversation_id: str, action: str) -> list[BotReply]:
        """Run one bot action now (e.g. `action_welcome_back`), then listen to the customer again."""
        path = f"/conversations/{quote(conversation_id, safe='')}"
        result = await self._request("POST", f"{path}/execute", json={"name": action})
        await self._request("POST", f"{path}/tracker/events", json=[{"event": "action", "name": "action_listen"}])
        return merge_replies((result.get("messages") or []) if isinstance(result, dict) else [])

    async def is_ready(self) -> bool:
        try:
            status = await self._request("GET", "/status")
        except RasaUnavailable:
            return False
        return bool(status.get("model_file") or status.get("model_id"))

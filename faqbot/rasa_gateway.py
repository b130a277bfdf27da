"""The Rasa server over HTTP: faqbot's input channel for customer messages, its HTTP API for tracker changes."""

from __future__ import annotations

import logging
import time
from collections.abc import Generator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx
import jwt

from bot.turn import META_BUTTON, TURN_KEY, NluResult, TurnDecision

log = logging.getLogger(__name__)

CHANNEL_WEBHOOK = "/webhooks/faqbot/webhook"  # bot/rasa_channel.py


class RasaUnavailable(Exception):
    """Rasa did not answer (down, timed out, or answered with an error)."""


@dataclass(frozen=True)
class BotReply:
    text: str
    buttons: list[dict[str, str]] = field(default_factory=list)
    custom: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class BotTurn:
    """Rasa's answer to one customer message: what the bot said, what NLU read, what the actions decided."""

    replies: list[BotReply]
    nlu: NluResult
    decision: TurnDecision = field(default_factory=TurnDecision)


def merge_replies(raw: list[dict[str, Any]]) -> list[BotReply]:
    """Rasa's own collector sends a message's custom payload as a message of its own: fold it into the
    text before it (faqbot's channel keeps them together already)."""
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


def split_decision(replies: list[BotReply]) -> tuple[list[BotReply], TurnDecision]:
    """Take the actions' decisions out of the replies' custom payloads (they are not part of what is said)."""
    decision = TurnDecision()
    kept = []
    for reply in replies:
        if TURN_KEY not in reply.custom:
            kept.append(reply)
            continue
        try:
            decision = decision.merged(TurnDecision.from_json(reply.custom[TURN_KEY]))
        except (KeyError, TypeError, ValueError) as exc:
            log.error("ignored a malformed turn decision: %s", exc)
        custom = {k: v for k, v in reply.custom.items() if k != TURN_KEY}
        if reply.text or custom or reply.buttons:
            kept.append(BotReply(reply.text, reply.buttons, custom))
    return kept, decision


class RasaGateway:
    def __init__(self, base_url: str, timeout_seconds: float, client: httpx.AsyncClient | None = None,
                 *, jwt_secret: str = "") -> None:
        self._base = base_url.rstrip("/")
        limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
        self._client = client or httpx.AsyncClient(
            timeout=timeout_seconds, limits=limits, auth=RasaServiceAuth(jwt_secret) if jwt_secret else None)

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

    async def send(self, conversation_id: str, text: str, metadata: dict[str, Any] | None = None, *,
                   button: bool = False) -> BotTurn:
        """One customer message. `button`: the text is the payload of a button the bot sent (and the web
        service checked it did); otherwise it is read as typed text, whatever it looks like."""
        metadata = {**(metadata or {}), META_BUTTON: button}
        raw = await self._request("POST", CHANNEL_WEBHOOK,
                                  json={"sender": conversation_id, "text": text, "metadata": metadata})
        if not isinstance(raw, dict) or not isinstance(raw.get("messages"), list):
            raise RasaUnavailable("Rasa's channel answered in an unexpected shape")
        replies, decision = split_decision(merge_replies(raw["messages"]))
        return BotTurn(replies, NluResult.from_json(raw.get("nlu")), decision)

    async def resume(self, conversation_id: str) -> None:
        """Un-pause the conversation in Rasa (harmless if it was not paused).

        A paused tracker stopped right after the handoff action, before `action_listen`;
        adding it lets the rules match the next user turn again.
        """
        await self._request(
            "POST", f"/conversations/{quote(conversation_id, safe='')}/tracker/events",
            params={"include_events": "NONE"},
            json=[{"event": "resume"}, {"event": "action", "name": "action_listen"}],
        )

    async def say(self, conversation_id: str, action: str) -> list[BotReply]:
        """Run one bot action now (e.g. `action_welcome_back`), then listen to the customer again."""
        path = f"/conversations/{quote(conversation_id, safe='')}"
        result = await self._request("POST", f"{path}/execute", params={"include_events": "NONE"},
                                     json={"name": action})
        await self._request("POST", f"{path}/tracker/events", params={"include_events": "NONE"},
                            json=[{"event": "action", "name": "action_listen"}])
        replies, _ = split_decision(merge_replies((result.get("messages") or []) if isinstance(result, dict)
                                                  else []))
        return replies

    async def is_ready(self) -> bool:
        try:
            status = await self._request("GET", "/status")
        except RasaUnavailable:
            return False
        return bool(status.get("model_file") or status.get("model_id"))

"""The Rasa server over HTTP: faqbot's input channel for customer messages, its HTTP API for tracker changes."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Generator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx
import jwt

from bot.turn import META_BUTTON, TURN_KEY, NluResult, TurnDecision
from faqbot.http_transport import AiohttpTransport

log = logging.getLogger(__name__)

CHANNEL_WEBHOOK = "/webhooks/faqbot/webhook"  # bot/rasa_channel.py


class RasaUnavailable(Exception):
    """Rasa did not answer (down, timed out, or answered with an error)."""


class RasaStoreUnavailable(RasaUnavailable):
    """Rasa answered that its tracker store cannot be reached (its database is down): the turn was not saved
    there, and can be sent again once the database is back (bot/rasa_channel.py)."""


TRACKER_STORE_UNAVAILABLE = "tracker_store_unavailable"  # bot/rasa_channel.py's 503 body


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


TURN_ID_KEY = "faqbot_turn_id"  # in a message's metadata: Rasa keeps it on the tracker's user event
DOWN_FOR_SECONDS = 5.0  # an instance that refused a connection is left alone this long before it is tried again
PROBE_TIMEOUT_SECONDS = 2.0


def parse_urls(urls: str | list[str]) -> list[str]:
    """`FAQBOT_RASA_URL`: one URL, or several separated by commas (one per Rasa instance)."""
    parts = urls.split(",") if isinstance(urls, str) else urls
    found = [u.strip().rstrip("/") for u in parts if u.strip()]
    if not found:
        raise ValueError("FAQBOT_RASA_URL names no Rasa instance")
    return found


@dataclass
class RasaInstance:
    url: str
    in_flight: int = 0
    down_until: float = 0.0
    failures: int = 0

    def usable(self, now: float) -> bool:
        return self.down_until <= now


# A request that failed before it reached Rasa: safe to send to another instance.
NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
# The connection broke after the request went out: Rasa may have processed it (or may still be processing it).
BROKEN = (httpx.ReadError, httpx.WriteError, httpx.RemoteProtocolError)


class RasaGateway:
    """The service's side of one or more Rasa instances sharing a tracker store and a lock store.

    Every request goes to the usable instance with the fewest requests in flight. An instance that refuses a
    connection is marked down for `DOWN_FOR_SECONDS` and the request goes to another one: nothing reached
    Rasa, so nothing can be processed twice.

    A customer turn is *not* idempotent in Rasa (it appends to the tracker), so it is only sent again when it
    provably was not processed (docs/deployment.md, "Several Rasa instances"):
    - the connection broke after the request was sent (the instance died mid-turn): the instance is probed;
      if it still answers, the turn may be running there, and it is given up (`RasaUnavailable`: the
      customer is handed to a person, nothing is sent twice). If it is gone, the tracker is read through
      another instance: if the turn's id (`faqbot_turn_id` in the message's metadata) is there, the dead
      instance finished and saved it, and its replies are taken from the tracker; otherwise it is sent
      to the other instance, which waits for the dead one's conversation lock to expire (Rasa's
      `TICKET_LOCK_LIFETIME`) before running it.
    - a read timeout: Rasa may still be working on it; never sent again.
    """

    def __init__(self, base_url: str | list[str], timeout_seconds: float, client: httpx.AsyncClient | None = None,
                 *, jwt_secret: str = "", lock_lifetime_seconds: float = 0.0, observer: Any = None) -> None:
        self.instances = [RasaInstance(url) for url in parse_urls(base_url)]
        self._timeout = timeout_seconds
        self._lock_lifetime = lock_lifetime_seconds
        self._observer = observer  # faqbot.metrics.Metrics (or None): latency and errors per instance
        self._next = 0
        self._client = client or httpx.AsyncClient(  # on aiohttp's pool: a quarter of httpcore's CPU per request
            timeout=timeout_seconds, transport=AiohttpTransport(limit=64 * len(self.instances)),
            auth=RasaServiceAuth(jwt_secret) if jwt_secret else None)

    @property
    def _base(self) -> str:  # the first instance (callers that only know one)
        return self.instances[0].url

    async def aclose(self) -> None:
        await self._client.aclose()

    def _pick(self, exclude: tuple[RasaInstance, ...] = ()) -> RasaInstance | None:
        """The usable instance with the fewest requests in flight (ties: in turn); a down one when all are."""
        now = time.monotonic()
        candidates = [i for i in self.instances if i not in exclude]
        usable = [i for i in candidates if i.usable(now)] or candidates
        if not usable:
            return None
        self._next += 1
        return min(usable, key=lambda i: (i.in_flight, (self.instances.index(i) - self._next) % len(self.instances)))

    def _mark_down(self, instance: RasaInstance, why: str) -> None:
        instance.failures += 1
        instance.down_until = time.monotonic() + DOWN_FOR_SECONDS
        log.warning("Rasa instance %s is down (%s); using the others", instance.url, why)

    def _observe(self, instance: RasaInstance, what: str, seconds: float | None, error: str | None) -> None:
        if self._observer is not None:
            self._observer.rasa_call(instance.url, what, seconds, error)

    async def _once(self, instance: RasaInstance, method: str, path: str, what: str, **kwargs: Any) -> Any:
        """One request to one instance; transport errors are raised as they are (httpx.HTTPError)."""
        instance.in_flight += 1
        started = time.perf_counter()
        try:
            response = await self._client.request(method, instance.url + path, **kwargs)
        except httpx.HTTPError as exc:
            self._observe(instance, what, None, exc.__class__.__name__)
            raise
        finally:
            instance.in_flight -= 1
        self._observe(instance, what, time.perf_counter() - started,
                      f"http_{response.status_code}" if response.status_code >= 400 else None)
        instance.down_until, instance.failures = 0.0, 0
        if response.status_code >= 400:
            if response.status_code == 503 and _error_of(response) == TRACKER_STORE_UNAVAILABLE:
                raise RasaStoreUnavailable(f"Rasa's tracker store is unreachable ({method} {path})")
            raise RasaUnavailable(f"Rasa answered {method} {path} with HTTP {response.status_code}")
        try:
            return response.json()
        except ValueError as exc:
            raise RasaUnavailable(f"Rasa answered {method} {path} with invalid JSON") from exc

    async def _request(self, method: str, path: str, what: str = "api", **kwargs: Any) -> Any:
        """A request that is sent again only when it did not reach Rasa (connection refused or not made)."""
        tried: tuple[RasaInstance, ...] = ()
        while (instance := self._pick(tried)) is not None:
            tried += (instance,)
            try:
                return await self._once(instance, method, path, what, **kwargs)
            except NOT_SENT as exc:
                self._mark_down(instance, exc.__class__.__name__)
            except httpx.HTTPError as exc:
                raise RasaUnavailable(f"Rasa did not answer {method} {path}: {exc.__class__.__name__}") from exc
        raise RasaUnavailable(f"no Rasa instance answered {method} {path}")

    async def _alive(self, instance: RasaInstance) -> bool:
        """Whether the instance still answers (it may be running a turn whose answer was lost). A process being
        killed can still accept a connection for a moment and then drop it: that is looked at again."""
        for _ in range(3):
            try:
                await self._client.get(instance.url + "/status", timeout=PROBE_TIMEOUT_SECONDS)
                return True  # it answered
            except NOT_SENT:
                return False
            except httpx.TimeoutException:
                return True  # it took the request: alive, however slow
            except httpx.HTTPError:  # accepted, then dropped: dying, or gone by the next look
                await asyncio.sleep(0.2)
        return False

    async def send(self, conversation_id: str, text: str, metadata: dict[str, Any] | None = None, *,
                   button: bool = False) -> BotTurn:
        """One customer message. `button`: the text is the payload of a button the bot sent (and the web
        service checked it did); otherwise it is read as typed text, whatever it looks like."""
        turn_id = str((metadata or {}).get(TURN_ID_KEY) or uuid.uuid4().hex)  # the caller's, when it names one
        metadata = {**(metadata or {}), META_BUTTON: button, TURN_ID_KEY: turn_id}
        body = {"sender": conversation_id, "text": text, "metadata": metadata}
        tried: tuple[RasaInstance, ...] = ()
        timeout: float | None = None
        while (instance := self._pick(tried)) is not None:
            tried += (instance,)
            try:
                raw = await self._once(instance, "POST", CHANNEL_WEBHOOK, "turn", json=body,
                                       **({"timeout": timeout} if timeout else {}))
                return self._turn(raw)
            except NOT_SENT as exc:
                self._mark_down(instance, exc.__class__.__name__)
            except BROKEN as exc:
                if await self._alive(instance):
                    raise RasaUnavailable(f"the connection to Rasa broke during a turn ({exc.__class__.__name__}) "
                                          "and the instance is still up: not sent again") from exc
                self._mark_down(instance, f"died during a turn ({exc.__class__.__name__})")
                done = await self._processed_turn(conversation_id, turn_id, tried)
                if done is not None:
                    log.info("the turn was processed before the instance died: replies taken from the tracker",
                             extra={"conversation_id": conversation_id})
                    return done
                # another instance waits for the dead one's conversation lock to expire first, then runs the
                # turn with the others that moved to it: the lock's lifetime on top of a whole turn's timeout
                timeout = 2 * self._timeout + self._lock_lifetime
            except httpx.HTTPError as exc:  # read timeout: it may still be processed; never sent twice
                raise RasaUnavailable(f"Rasa did not answer a turn: {exc.__class__.__name__}") from exc
        raise RasaUnavailable("no Rasa instance answered the turn")

    async def processed_turn(self, conversation_id: str, turn_id: str) -> BotTurn | None:
        """The turn `turn_id` as Rasa saved it (None: never saved), read through any instance."""
        return await self._processed_turn(conversation_id, turn_id, ())

    @staticmethod
    def _turn(raw: Any) -> BotTurn:
        if not isinstance(raw, dict) or not isinstance(raw.get("messages"), list):
            raise RasaUnavailable("Rasa's channel answered in an unexpected shape")
        replies, decision = split_decision(merge_replies(raw["messages"]))
        return BotTurn(replies, NluResult.from_json(raw.get("nlu")), decision)

    async def _processed_turn(self, conversation_id: str, turn_id: str,
                              dead: tuple[RasaInstance, ...]) -> BotTurn | None:
        """The turn as the tracker recorded it, if an instance saved it before dying (None: it was not)."""
        path = f"/conversations/{quote(conversation_id, safe='')}/tracker"
        tried = dead
        while (instance := self._pick(tried)) is not None:
            tried += (instance,)
            try:
                tracker = await self._once(instance, "GET", path, "tracker", params={"include_events": "ALL"})
            except NOT_SENT as exc:
                self._mark_down(instance, exc.__class__.__name__)
                continue
            except httpx.HTTPError as exc:
                raise RasaUnavailable(f"could not read the tracker: {exc.__class__.__name__}") from exc
            return turn_from_tracker(tracker.get("events") or [] if isinstance(tracker, dict) else [], turn_id)
        raise RasaUnavailable("no Rasa instance left to read the tracker from")

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

    async def instance_status(self) -> dict[str, bool]:
        """Each instance's readiness (it answers and has a model loaded), by URL."""
        async def ready(instance: RasaInstance) -> bool:
            try:
                status = await self._once(instance, "GET", "/status", "status", timeout=PROBE_TIMEOUT_SECONDS)
            except (httpx.HTTPError, RasaUnavailable):
                return False
            return bool(isinstance(status, dict) and (status.get("model_file") or status.get("model_id")))

        results = await asyncio.gather(*(ready(i) for i in self.instances))
        return {i.url: ok for i, ok in zip(self.instances, results, strict=True)}

    async def is_ready(self) -> bool:
        """At least one instance is ready."""
        return any((await self.instance_status()).values())


def _error_of(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    return str(body.get("error", "")) if isinstance(body, dict) else ""


def turn_from_tracker(events: list[dict[str, Any]], turn_id: str) -> BotTurn | None:
    """The bot's answer to the user event carrying `turn_id`, rebuilt from the tracker's events (what the
    channel would have returned), or None when no such user event was saved."""
    # the latest such event: a turn re-sent with the same id (after resuming a paused bot) answered there
    start = next((i for i in range(len(events) - 1, -1, -1) if events[i].get("event") == "user"
                  and (events[i].get("metadata") or {}).get(TURN_ID_KEY) == turn_id), None)
    if start is None:
        return None
    parse = events[start].get("parse_data") or {}
    raw = []
    for event in events[start + 1:]:
        if event.get("event") == "user":
            break
        if event.get("event") == "bot":
            data = event.get("data") or {}
            raw.append({"text": event.get("text") or "", "buttons": data.get("buttons") or [],
                        "custom": data.get("custom") if isinstance(data.get("custom"), dict) else {}})
    replies, decision = split_decision(merge_replies(raw))
    return BotTurn(replies, NluResult.from_parse_data(parse), decision)

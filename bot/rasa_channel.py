"""faqbot's input channel for the Rasa server: one customer message in, the bot's replies and what NLU read out.

`POST /webhooks/faqbot/webhook` with `{"sender": id, "text": …, "metadata": {…}}` answers
`{"messages": [{"text", "buttons", "custom"}, …], "nlu": {"intent", "confidence", "entities"}}`, so the
web service never has to read the tracker back. Compared with Rasa's REST channel:

* typed text is always read as text: Rasa's `/intent{"entity": …}` shorthand is honoured only for a
  button the web service vouches for (metadata `button: true`), and that is parsed here, without NLU;
* the `language` and `frustration` the web service sent become entities, so Rasa's own slot extraction
  fills those slots before the policies predict (no custom action per turn for that);
* a bot message keeps its text, buttons and custom payload together, and a failure is an HTTP error,
  not an empty answer; the tracker store out of reach (its database stopped or restarting) is a 503
  `{"error": "tracker_store_unavailable"}`, so the web service can tell the customer to send it again
  rather than take the turn as the bot failing.

Loaded by the Rasa server (credentials.yml), so it runs in the Rasa environment (Python 3.10).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from rasa.shared.core.training_data.story_reader.yaml_story_reader import YAMLStoryReader
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels import authorization_problem
from bot.turn import META_BUTTON, NluResult, metadata_entities

log = logging.getLogger(__name__)


TRACKER_STORE_UNAVAILABLE = "tracker_store_unavailable"


def tracker_store_unreachable(exc: BaseException) -> bool:
    """The tracker store's database cannot be reached (SQLAlchemy 1.4 in Rasa: an OperationalError or
    InterfaceError from the driver, or a connection it invalidated); a save that failed so never happened."""
    from sqlalchemy import exc as sa_exc

    current: BaseException | None = exc
    seen: set[int] = set()
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, (sa_exc.OperationalError, sa_exc.InterfaceError)) or \
                (isinstance(current, sa_exc.DBAPIError) and current.connection_invalidated):
            return True
        current = current.__cause__ or current.__context__
    return False


class WholeMessages(CollectingOutputChannel):
    """Collects each bot message whole (Rasa's collector splits text and custom payload apart)."""

    @classmethod
    def name(cls) -> str:
        return "faqbot"

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        kept = {key: message[key] for key in ("text", "buttons", "custom") if message.get(key)}
        if kept:
            self.messages.append(kept)


def button_parse_data(payload: str, domain: Any) -> dict[str, Any] | None:
    """Parse data of a button payload (`/affirm`, `/ask_question{"article_id": "…"}`); None if it names
    no intent of the domain."""
    message = YAMLStoryReader.unpack_regex_message(Message(data={TEXT: payload}), domain,
                                                  entity_extractor_name="faqbot_button")
    parsed = message.as_dict(only_output_properties=True)
    intent = parsed.get("intent") or {}
    if not intent.get("name"):
        return None
    return {"text": payload, "entities": [], **parsed}


class FaqbotInput(InputChannel):
    """Requires the web service's JWT (bot/channels.py), like Rasa's HTTP API."""

    def __init__(self, jwt_secret: str = "") -> None:
        self.jwt_secret = jwt_secret or ""

    @classmethod
    def name(cls) -> str:
        return "faqbot"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> FaqbotInput:
        return cls(str((credentials or {}).get("jwt_secret") or ""))

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("faqbot_webhook", __name__)

        @webhook.middleware("request")
        async def only_the_service(request: Request) -> HTTPResponse | None:
            return authorization_problem(request, self.jwt_secret)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            body = request.json if isinstance(request.json, dict) else {}
            sender, text = body.get("sender"), body.get("text")
            metadata = body.get("metadata") if isinstance(body.get("metadata"), dict) else {}
            if not isinstance(sender, str) or not sender or not isinstance(text, str) or not text.strip():
                return response.json({"error": "expected {sender, text, metadata}"}, status=400)
            agent = request.app.ctx.agent
            if agent is None or not agent.is_ready():
                return response.json({"error": "no model loaded"}, status=503)
            if metadata.get(META_BUTTON) is True:
                parse_data = button_parse_data(text, agent.domain)
                if parse_data is None:
                    return response.json({"error": "the button payload names no known intent"}, status=400)
            else:
                parse_data = await agent.processor.parse_message(
                    UserMessage(text, sender_id=sender, metadata=metadata))
            nlu = NluResult.from_parse_data(parse_data)
            parse_data["entities"] = [*parse_data.get("entities", []), *metadata_entities(metadata)]
            output = WholeMessages()
            try:
                await on_new_message(UserMessage(text, output, sender, parse_data=parse_data,
                                                 input_channel=self.name(), metadata=metadata))
            except Exception as exc:
                if not tracker_store_unreachable(exc):
                    raise
                log.warning("the tracker store is unreachable (%s: %s); the turn was not saved",
                            exc.__class__.__name__, str(exc).splitlines()[0][:200] if str(exc) else "")
                return response.json({"error": TRACKER_STORE_UNAVAILABLE}, status=503)
            return response.json({"messages": output.messages, "nlu": nlu.to_json()})

        return webhook

"""The conversation loop and the handoff desk over a real SQLite database, with a scripted stand-in for Rasa."""

import pytest

from faqbot.agents import AgentStore
from faqbot.chat import ChatService
from faqbot.conversations import ConversationStore, EventHub
from faqbot.desk import DeskPolicy, HandoffDesk
from faqbot.messenger import Messenger
from faqbot.rasa_gateway import BotReply, ParsedTurn, RasaUnavailable
from handoff import HandoffReason
from tests.factories import fake_detector


class ScriptedRasa:
    """Answers from a script; `down` makes every call fail like a dead server."""

    def __init__(self, handoffs):
        self.handoffs = handoffs
        self.down = False
        self.paused: set[str] = set()
        self.sent: list[str] = []
        self.resumed: list[str] = []
        self.said: list[str] = []

    def _check(self):
        if self.down:
            raise RasaUnavailable("connection refused")

    async def send(self, conversation_id, text, metadata=None):
        self._check()
        if conversation_id in self.paused:
            return []
        self.sent.append(text)
        if "person" in text:
            await self.handoffs.request(conversation_id, HandoffReason.CUSTOMER_REQUEST,
                                        language=(metadata or {}).get("language"))
            self.paused.add(conversation_id)
            return [BotReply("Connecting you.", custom={"handoff": {"reason": "customer_request"}})]
        return [BotReply("An answer.", custom={"outcome": "answer", "article_id": "a-en", "score": 0.9})]

    async def latest_turn(self, conversation_id):
        self._check()
        return ParsedTurn("ask_question", 0.93, [], conversation_id in self.paused, {})

    async def resume(self, conversation_id):
        self._check()
        self.paused.discard(conversation_id)
        self.resumed.append(conversation_id)

    async def say(self, conversation_id, action):
        self._check()
        self.said.append(action)
        if action == "action_welcome_back":
            return [BotReply("Welcome back. Please rate us.", custom={"rating_request": True})]
        return [BotReply("Thank you!" if action == "action_thank_for_rating" else "Welcome back.")]


@pytest.fixture
def hub():
    return EventHub()


@pytest.fixture
def rasa(handoffs):
    return ScriptedRasa(handoffs)


@pytest.fixture
def agents(engine):
    return AgentStore(engine)


@pytest.fixture
def policy():
    return DeskPolicy()


@pytest.fixture
def desk(engine, handoffs, rasa, hub, agents, policy):
    return HandoffDesk(handoffs, agents, ConversationStore(engine), Messenger(ConversationStore(engine), hub), rasa,
                       policy)


@pytest.fixture
def chat(engine, handoffs, rasa, hub, desk):
    return ChatService(ConversationStore(engine), handoffs, rasa, Messenger(ConversationStore(engine), hub), desk,
                       fake_detector(), max_message_chars=2000)

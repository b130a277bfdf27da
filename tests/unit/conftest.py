"""The conversation loop and the handoff desk over a real SQLite database, with a scripted stand-in for Rasa."""

import pytest

from bot.turn import Feedback, HandoffRequest, NluResult, TurnDecision
from faqbot.agents import AgentStore
from faqbot.chat import ChatService
from faqbot.conversations import ConversationStore, EventHub
from faqbot.messenger import Messenger
from faqbot.rasa_gateway import TURN_ID_KEY, BotReply, BotTurn, RasaStoreUnavailable, RasaUnavailable
from handoff.desk import DeskPolicy, HandoffDesk
from tests.factories import fake_detector


class ScriptedRasa:
    """Answers from a script; `down` makes every call fail like a dead server, `store_down` like a server whose
    tracker store's database is out of reach (nothing saved). Turns are kept by their id, as Rasa's tracker
    keeps them (`processed_turn`)."""

    def __init__(self, handoffs):
        self.handoffs = handoffs
        self.down = False
        self.paused: set[str] = set()
        self.sent: list[str] = []
        self.buttons: list[str] = []
        self.metadata: list[dict] = []
        self.resumed: list[str] = []
        self.said: list[str] = []
        self.store_down = False
        self.saved: dict[str, BotTurn] = {}

    def _check(self):
        if self.down:
            raise RasaUnavailable("connection refused")

    async def send(self, conversation_id, text, metadata=None, *, button=False):
        self._check()
        if self.store_down:
            raise RasaStoreUnavailable("Rasa's tracker store is unreachable")
        turn = await self._send(conversation_id, text, metadata, button=button)
        if (metadata or {}).get(TURN_ID_KEY):
            self.saved[metadata[TURN_ID_KEY]] = turn
        return turn

    async def processed_turn(self, conversation_id, turn_id):
        self._check()
        return self.saved.get(turn_id)

    async def _send(self, conversation_id, text, metadata=None, *, button=False):
        nlu = NluResult("ask_question", 0.93, ())
        if conversation_id in self.paused:
            return BotTurn([], nlu)
        self.sent.append(text)
        self.metadata.append(dict(metadata or {}))
        if button:
            self.buttons.append(text)
        if "person" in text:
            self.paused.add(conversation_id)
            request = HandoffRequest("customer_request", slots={"current_topic": "shipping"})
            return BotTurn([BotReply("Connecting you.", custom={"handoff": {"reason": "customer_request"}})],
                           NluResult("request_human", 0.97, ()), TurnDecision("action_handoff", handoff=request))
        if text == "/affirm":
            return BotTurn([BotReply("Glad it helped.")], NluResult("affirm", 1.0, ()),
                           TurnDecision("action_record_feedback", feedback=Feedback("a-en", True)))
        return BotTurn([BotReply("An answer.", buttons=[{"title": "👍 Yes", "payload": "/affirm"},
                                                        {"title": "👎 No", "payload": "/deny"}],
                                 custom={"outcome": "answer", "article_id": "a-en", "score": 0.9,
                                         "asks_feedback": True})], nlu)

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

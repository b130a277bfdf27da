"""faqbot's tuning of the Rasa server (bot/rasa_runtime.py), checked inside the pinned Rasa environment."""

import subprocess

from faqbot.launcher import default_rasa_bin, rasa_env
from faqbot.settings import REPO_ROOT

CHECKS = r'''
import json, random
from bot.rasa_runtime import ActionResponseChecker, latest_slot_values, events_of_this_turn, apply
from rasa.core.actions.action import RemoteAction
from jsonschema.validators import validator_for

schema = RemoteAction.action_response_format_spec()
full = validator_for(schema)(schema)
checker = ActionResponseChecker(schema)
rng = random.Random(7)
names = ["slot", "action", "user", "bot", "pause", "resume", "followup", "session_started", "nonsense", None, 3]
values = [None, 1, 1.5, True, "x", [], {}, {"a": 1}]
agree = 0
for _ in range(4000):
    events = []
    for _ in range(rng.randint(0, 4)):
        event = {"event": rng.choice(names)} if rng.random() < 0.9 else rng.choice(values)
        if isinstance(event, dict):
            for key in rng.sample(["name", "value", "timestamp", "metadata", "text", "parse_data", "data",
                                   "policy", "confidence"], rng.randint(0, 4)):
                event[key] = rng.choice(values)
        events.append(event)
    response = rng.choice([{"events": events, "responses": [{"text": "hi"}]}, {"events": events},
                           {"responses": rng.choice([[], [1], [{}], {}])}, [], {"events": {}}])
    assert checker.is_valid(response) == full.is_valid(response), response
    agree += 1
print("agreed", agree)

from rasa.shared.core.events import SlotSet, UserUttered, ActionExecuted, SessionStarted
carried = latest_slot_values([SlotSet("a", 1), SlotSet("b", 2), ActionExecuted("x"), SlotSet("a", 3)])
assert [(e.key, e.value) for e in carried] == [("b", 2), ("a", 3)]
turn = events_of_this_turn([UserUttered("hi"), ActionExecuted("a"), UserUttered("again"), SlotSet("s", 1)])
assert [type(e).__name__ for e in turn] == ["UserUttered", "SlotSet"]
apply(session_turns=8)
from rasa.nlu.classifiers.regex_message_handler import RegexMessageHandler
from rasa.shared.nlu.training_data.message import Message
handler = RegexMessageHandler()
typed = handler.process([Message(data={"text": '/greet{"order_number": "INJ"}', "metadata": {}})])[0]
button = handler.process([Message(data={"text": "/affirm", "metadata": {"button": True}})])[0]
assert typed.get("intent") is None and button.get("intent")["name"] == "affirm"

import asyncio, tempfile, os
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SessionStarted

async def store_round_trip():
    domain = Domain.load("bot/domain.yml")
    with tempfile.TemporaryDirectory() as folder:
        store = SQLTrackerStore(domain, dialect="sqlite", db=os.path.join(folder, "t.db"))
        tracker = await store.get_or_create_tracker("s1")
        tracker.update(UserUttered("hi", {"name": "greet", "confidence": 0.9}))
        tracker.update(SlotSet("current_article", "a-en"))
        await store.save(tracker)
        again = await store.get_or_create_tracker("s1")
        assert [e.as_dict()["event"] for e in again.events] == [e.as_dict()["event"] for e in tracker.events]
        again.update(ActionExecuted("action_session_start"))
        again.update(SessionStarted())
        again.update(SlotSet("current_article", "a-en"))
        await store.save(again)
        latest = await store.retrieve("s1")
        assert [e.as_dict()["event"] for e in latest.events] == ["session_started", "slot"]
        full = await store.retrieve_full_tracker("s1")
        assert len(full.events) == len(again.events)  # nothing stored twice, nothing lost
        # a save that did not follow a load in the turn counts what is stored, as Rasa does
        latest.update(UserUttered("bye", {"name": "goodbye", "confidence": 0.9}))
        await store.save(latest)
        await store.save(latest)
        kinds = [e.as_dict()["event"] for e in (await store.retrieve("s1")).events]
        assert kinds == ["session_started", "slot", "user"]

asyncio.run(store_round_trip())
print("ok")
'''


def test_the_runtime_tuning_keeps_rasas_behaviour():
    python = default_rasa_bin().parent / "python"
    result = subprocess.run([str(python), "-c", CHECKS], cwd=REPO_ROOT, env=rasa_env(), capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "agreed 4000" in result.stdout and result.stdout.strip().endswith("ok")


SAME_GRAPH_RESULTS = r'''
import asyncio, json, sys
from rasa.core.agent import Agent
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from bot.rasa_runtime import sequential_graph_runs

TEXTS = ["where is my parcel?", "我的包裹到哪里了", "I want to talk to a person", "that's not what I asked",
         "thanks!", "退货要多久", "/affirm", "how do I reset my password", "hello", "这不是我问的"]

async def outputs(agent):
    parsed = [await agent.parse_message(text) for text in TEXTS]
    predicted = []
    for text, parse in zip(TEXTS, parsed):
        tracker = DialogueStateTracker.from_events("t", [ActionExecuted("action_listen"),
                                                          UserUttered(text, parse["intent"], parse["entities"])],
                                                   agent.domain.slots)
        prediction = agent.processor._predict_next_with_tracker(tracker)
        predicted.append([prediction.max_confidence_index, prediction.policy_name,
                          [round(p, 6) for p in prediction.probabilities]])
    return json.dumps([[{k: p[k] for k in ("intent", "entities", "intent_ranking") if k in p} for p in parsed],
                       predicted], sort_keys=True, default=str)

agent = Agent.load(sys.argv[1])
with_dask = asyncio.run(outputs(agent))
sequential_graph_runs()
without = asyncio.run(outputs(agent))
assert with_dask == without, (with_dask[:2000], without[:2000])
print("same", len(with_dask))
'''


def test_graph_runs_without_dask_give_the_same_parses_and_predictions():
    from faqbot.launcher import ensure_model

    model = ensure_model(REPO_ROOT / "var" / "models")
    python = default_rasa_bin().parent / "python"
    result = subprocess.run([str(python), "-c", SAME_GRAPH_RESULTS, str(model)], cwd=REPO_ROOT, env=rasa_env(),
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert result.stdout.strip().splitlines()[-1].startswith("same")

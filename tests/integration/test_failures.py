"""Dead Rasa and a web-service restart in the middle of a handoff: nothing is lost, both sides continue."""

import pytest

from faqbot.launcher import default_rasa_bin, ensure_model
from faqbot.settings import REPO_ROOT
from tests.live import AgentClient, Customer, running_stack


@pytest.fixture(scope="module")
def own_stack(tmp_path_factory):
    with running_stack(tmp_path_factory.mktemp("failures")) as stack:
        yield stack


def test_dead_rasa_hands_off_then_the_bot_comes_back(own_stack):
    customer = Customer(own_stack.web_url)
    assert customer.say("hello")["mode"] == "bot"
    own_stack.stop("rasa")

    turn = customer.say("my order 12345678 never arrived")
    assert turn["mode"] == "human" and turn["handoff"]["reason"] == "bot_unavailable"
    assert turn["messages"][0]["text"] == "my order 12345678 never arrived"
    assert "unavailable" in turn["messages"][1]["text"]

    agent = AgentClient(own_stack.web_url)
    handoff = agent.handoff_for(customer.id)
    agent.post(f"/api/agent/handoffs/{handoff['id']}/claim")
    agent.post(f"/api/agent/handoffs/{handoff['id']}/messages", json={"text": "Sorry! Checking order 12345678."})

    own_stack.start_rasa(ensure_model(REPO_ROOT / "var" / "models", default_rasa_bin()))
    own_stack.wait_rasa()
    resolved = agent.post(f"/api/agent/handoffs/{handoff['id']}/resolve")
    assert resolved["messages"][-1]["sender"] == "bot"
    answer = customer.say("how do I reset my password")
    assert answer["mode"] == "bot" and answer["messages"][1]["data"]["article_id"] == "reset-password-en"


def test_web_service_restart_in_the_middle_of_a_handoff(own_stack):
    customer = Customer(own_stack.web_url)
    customer.say("where is my parcel?")
    handoff_id = customer.say("I want to talk to a human")["handoff"]["id"]
    agent = AgentClient(own_stack.web_url)
    agent.post(f"/api/agent/handoffs/{handoff_id}/claim")
    before = customer.history()

    own_stack.stop("web")
    own_stack.start_web()
    own_stack.wait_web()

    assert customer.history() == before  # the whole transcript survived
    waiting = customer.say("hello? did you go away?")
    assert waiting["mode"] == "human" and waiting["handoff"]["status"] == "assigned"
    agent_again = AgentClient(own_stack.web_url)
    detail = agent_again.detail(handoff_id)
    assert detail["handoff"]["status"] == "assigned" and detail["handoff"]["agent_name"] == "Alice"
    assert detail["transcript"][-1]["text"] == "hello? did you go away?"
    # the old agent session is still valid after the restart
    agent.post(f"/api/agent/handoffs/{handoff_id}/messages", json={"text": "Still here!"})
    agent.post(f"/api/agent/handoffs/{handoff_id}/resolve")
    assert customer.say("thanks")["mode"] == "bot"

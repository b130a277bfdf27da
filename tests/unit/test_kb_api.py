"""The editors' API on the real app and database: lifecycle, versions, conflicts, and live answers."""

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from embeddings import HashingEncoder
from faqbot.app import create_app
from faqbot.conversations import Sender
from faqbot.launcher import free_port
from faqbot.settings import Settings
from tests.factories import fake_detector

UNICORN = {
    "id": "unicorn-care-en", "language": "en", "title": "How do I care for my unicorn plush?",
    "questions": ["How do I wash the unicorn plush?", "Can the unicorn plush go in the washing machine?"],
    "answer": "Hand wash it at 30 °C.", "category": "warranty",
}


@pytest.fixture
def client(tmp_path: Path, request):
    # a test that runs the watcher's step itself turns the 2-second watcher off (it could reload first on a slow run)
    polling = {"kb_poll_seconds": 3600.0} if request.node.get_closest_marker("own_kb_polling") else {}
    settings = Settings(data_dir=tmp_path, rasa_url=f"http://127.0.0.1:{free_port()}", rasa_timeout_seconds=2,
                        bootstrap_agent="ed:editor-pw", action_token="action-secret", **polling)
    app = create_app(settings, encoder=HashingEncoder(), frustration_detector=fake_detector())
    with TestClient(app) as test_client:
        agents = test_client.app.state.services.core.agents
        test_client.portal.call(lambda: agents.create("agnes", "agent-pw", roles=["agent"]))
        yield test_client


def auth(client, username="ed", password="editor-pw") -> dict[str, str]:
    token = client.post("/api/agent/login", json={"username": username, "password": password}).json()["token"]
    return {"Authorization": f"Bearer {token}"}


def bot_answer(client, question: str) -> str | None:
    """What the bot's answer action does with `question` right now (through Rasa's action protocol)."""
    cid = client.post("/api/conversations").json()["conversation_id"]  # actions run for known conversations
    call = {"next_action": "action_answer_from_kb", "sender_id": cid, "domain": {},
            "tracker": {"sender_id": cid, "slots": {}, "latest_message": {"text": question, "intent": {}},
                        "events": [], "paused": False, "followup_action": None, "active_loop": {},
                        "latest_action_name": "action_listen"}}
    custom = client.post("/actions/webhook?token=action-secret", json=call).json()["responses"][0]["custom"]
    return custom.get("article_id")


def test_draft_publish_unpublish_archive_change_what_the_bot_answers(client):
    editor = auth(client)
    question = "Can the unicorn plush go in the washing machine?"
    created = client.post("/api/kb/articles", json=UNICORN, headers=editor)
    assert created.status_code == 201 and created.json()["article"]["status"] == "draft"
    assert bot_answer(client, question) != "unicorn-care-en"  # drafts are never answered

    published = client.post("/api/kb/articles/unicorn-care-en/publish", headers=editor).json()["article"]
    assert published["status"] == "published" and published["version"] == 2
    assert bot_answer(client, question) == "unicorn-care-en"  # live when the call returns

    client.post("/api/kb/articles/unicorn-care-en/unpublish", headers=editor)
    assert bot_answer(client, question) != "unicorn-care-en"
    client.post("/api/kb/articles/unicorn-care-en/publish", headers=editor)
    client.post("/api/kb/articles/unicorn-care-en/archive", headers=editor)
    assert bot_answer(client, question) != "unicorn-care-en"


def test_a_stale_save_is_refused_not_overwritten(client):
    editor = auth(client)
    client.post("/api/kb/articles", json={**UNICORN, "status": "published"}, headers=editor)
    first = client.put("/api/kb/articles/unicorn-care-en", json={**UNICORN, "answer": "Machine wash, cold.",
                                                                 "version": 1}, headers=editor)
    assert first.status_code == 200 and first.json()["article"]["version"] == 2
    stale = client.put("/api/kb/articles/unicorn-care-en", json={**UNICORN, "answer": "Dry clean only.",
                                                                 "version": 1}, headers=editor)
    assert stale.status_code == 409 and stale.json()["error"]["code"] == "version_conflict"
    assert client.get("/api/kb/articles/unicorn-care-en", headers=editor).json()["article"]["answer"] == \
        "Machine wash, cold."


def test_history_diff_and_restore(client):
    editor = auth(client)
    client.post("/api/kb/articles", json=UNICORN, headers=editor)
    client.put("/api/kb/articles/unicorn-care-en", json={**UNICORN, "answer": "Machine wash, cold.", "version": 1},
               headers=editor)
    history = client.get("/api/kb/articles/unicorn-care-en/versions", headers=editor).json()["versions"]
    assert [v["version"] for v in history] == [1, 2] and history[0]["author"] == "ed"
    changes = client.get("/api/kb/articles/unicorn-care-en/diff?from=1&to=2", headers=editor).json()["changes"]
    assert set(changes) == {"answer"} and "+Machine wash, cold." in changes["answer"]
    restored = client.post("/api/kb/articles/unicorn-care-en/versions/1/restore", json={"version": 2},
                           headers=editor).json()["article"]
    assert restored["version"] == 3 and restored["answer"] == UNICORN["answer"]
    assert client.get("/api/kb/articles/unicorn-care-en/versions/9", headers=editor).status_code == 404


def test_validation_errors_name_the_field(client):
    editor = auth(client)
    response = client.post("/api/kb/articles", json={**UNICORN, "language": "fr", "questions": []}, headers=editor)
    assert response.status_code == 422
    fields = {d["field"] for d in response.json()["error"]["details"]}
    assert fields == {"language", "questions"}
    bad_id = client.post("/api/kb/articles", json={**UNICORN, "id": "Not A Slug"}, headers=editor)
    assert bad_id.status_code == 422 and bad_id.json()["error"]["details"][0]["field"] == "id"
    client.post("/api/kb/articles", json=UNICORN, headers=editor)
    assert client.post("/api/kb/articles", json=UNICORN, headers=editor).status_code == 409


def test_agents_read_but_do_not_write(client):
    agent = auth(client, "agnes", "agent-pw")
    assert client.get("/api/kb/articles?language=zh&status=published", headers=agent).json()["articles"]
    refused = client.post("/api/kb/articles", json=UNICORN, headers=agent)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "access_denied"
    assert client.post("/api/kb/articles/refund-timing-en/archive", headers=agent).status_code == 403


def test_search_filters(client):
    editor = auth(client)
    found = client.get("/api/kb/articles?q=refund&language=en", headers=editor).json()["articles"]
    assert "refund-timing-en" in {a["id"] for a in found} and all(a["language"] == "en" for a in found)
    assert client.get("/api/kb/articles?category=invoices", headers=editor).json()["articles"]


def test_unanswered_questions_are_listed_for_editors(client):
    conversations = client.app.state.services.core.conversations

    async def seed():
        await conversations.create("c9", "hash", page_url=None, language="en")
        await conversations.append("c9", Sender.CUSTOMER, "do you sell unicorns?", {"language": "en"})
        await conversations.append("c9", Sender.BOT, "I'm not sure...", {"outcome": "unsure", "score": 0.21})
        await conversations.append("c9", Sender.CUSTOMER, "where is my parcel?", {"language": "en"})
        await conversations.append("c9", Sender.BOT, "As soon as...", {"outcome": "answer", "score": 0.9})

    client.portal.call(seed)
    questions = client.get("/api/kb/unanswered", headers=auth(client)).json()["questions"]
    assert [(q["text"], q["best_score"]) for q in questions] == [("do you sell unicorns?", 0.21)]


def test_answer_feedback_per_article_for_editors(client):
    conversations = client.app.state.services.core.conversations

    async def seed():
        await conversations.create("c8", "hash", page_url=None, language="en")
        for score, helpful in ((0.9, True), (0.7, False), (0.8, None)):
            data = {"outcome": "answer", "article_id": "refund-timing-en", "score": score, "asks_feedback": True}
            if helpful is not None:
                data["helpful"] = helpful
            await conversations.append("c8", Sender.BOT, "We refund within...", data)
        await conversations.append("c8", Sender.BOT, "Hi!", {})
        await conversations.append("c8", Sender.BOT, "Not sure", {"outcome": "unsure", "article_id": None})

    client.portal.call(seed)
    [stats] = client.get("/api/kb/feedback", headers=auth(client)).json()["articles"]
    assert stats == {"article_id": "refund-timing-en", "answered": 3, "helpful": 1, "not_helpful": 1,
                     "helpful_rate": 0.5, "mean_score": 0.8}


@pytest.mark.own_kb_polling
def test_changes_made_outside_the_service_go_live_by_polling(client):
    """An import by the CLI (or another process) writes to the database; the service notices and reloads."""
    from knowledge_base.article import Article

    store = client.app.state.services.core.knowledge.store
    article = Article(id="gift-wrap-en", group="gift-wrap", language="en", title="Do you gift wrap?",
                      questions=("Can you gift wrap my order?",), answer="Yes, for ¥10.", category="orders")
    client.portal.call(lambda: store.import_articles([article]))
    assert bot_answer(client, "Can you gift wrap my order?") != "gift-wrap-en"  # not yet noticed
    knowledge = client.app.state.services.core.knowledge
    assert client.portal.call(knowledge.reload_if_changed) is True  # what the 2-second watcher runs
    assert bot_answer(client, "Can you gift wrap my order?") == "gift-wrap-en"
    assert client.portal.call(knowledge.reload_if_changed) is False


def test_missing_translations_are_counted_for_editors(client):
    """Articles with no version in a language, and how often a customer in that language got them instead."""
    editor = auth(client)
    client.post("/api/kb/articles", json=UNICORN, headers=editor)
    client.post("/api/kb/articles/unicorn-care-en/publish", headers=editor)
    conversations = client.app.state.services.core.conversations

    async def seed():
        await conversations.create("c7", "hash", page_url=None, language="zh")
        for _ in range(2):
            await conversations.append("c7", Sender.BOT, "这个问题目前只有英文版的解答：…", {
                "outcome": "answer", "article_id": "unicorn-care-en", "translation_missing": "zh",
                "answer_language": "en"})
        await conversations.append("c7", Sender.BOT, "Hand wash it",
                                   {"outcome": "answer", "article_id": "unicorn-care-en"})

    client.portal.call(seed)
    rows = client.get("/api/kb/missing-translations", headers=editor).json()["articles"]
    # the shop's own articles are all translated
    assert rows == [{"article_id": "unicorn-care-en", "group": "unicorn-care", "title": UNICORN["title"],
                      "language": "en", "missing": ["zh"], "asked": {"zh": 2}, "asked_total": 2}]
    assert client.get("/api/kb/missing-translations", headers=auth(client, "agnes", "agent-pw")).status_code == 403
    assert client.get("/api/kb/missing-translations").status_code == 401
    bad = client.get("/api/kb/missing-translations?scan=0", headers=editor)
    assert bad.status_code == 422 and "scan" in bad.text

"""The editors' workbench on the real app and database (hashing encoder): bad input, ranked search, try it,
collisions, questions to fix (clusters, actions, reopening) and article quality."""

import pytest

from faqbot.conversations import Sender
from tests.unit.test_kb_api import auth, client  # noqa: F401 - the same app, editor and agent as the KB API tests

PLUSH = {
    "id": "unicorn-care-en", "language": "en", "title": "How do I care for my unicorn plush?",
    "questions": ["How do I wash the unicorn plush?", "Can the unicorn plush go in the washing machine?"],
    "answer": "Hand wash it at 30 °C.", "category": "warranty",
}
ZH = {"id": "plush-care-zh", "language": "zh", "title": "独角兽毛绒玩具怎么清洗？",
      "questions": ["独角兽毛绒玩具可以机洗吗", "毛绒玩具怎么洗"], "answer": "请用30度的水手洗。",
      "category": "warranty", "group": "unicorn-care"}


@pytest.mark.parametrize(("change", "status", "field"), [
    ({"questions": []}, 422, "questions"),
    ({"questions": ["  "]}, 422, "questions"),
    ({"category": "unicorns"}, 422, "category"),
    ({"language": "fr"}, 422, "language"),
    ({"answer": "x" * 20001}, 422, "answer"),
    ({"id": "Not A Slug"}, 422, "id"),
])
def test_bad_articles_are_refused_by_field_and_nothing_is_saved(client, change, status, field):
    editor = auth(client)
    response = client.post("/api/kb/articles", json={**PLUSH, **change}, headers=editor)
    assert response.status_code == status, response.text
    assert field in response.json()["error"]["message"]
    assert client.get(f"/api/kb/articles/{change.get('id', PLUSH['id'])}", headers=editor).status_code == 404


def test_duplicate_ids_stale_versions_and_roles_are_refused(client):
    editor = auth(client)
    assert client.post("/api/kb/articles", json=PLUSH, headers=editor).status_code == 201
    duplicate = client.post("/api/kb/articles", json={**PLUSH, "title": "Other"}, headers=editor)
    assert duplicate.status_code == 409 and "already exists" in duplicate.json()["error"]["message"]
    assert client.put("/api/kb/articles/unicorn-care-en", json={**PLUSH, "version": 1, "answer": "A"},
                      headers=editor).status_code == 200
    stale = client.put("/api/kb/articles/unicorn-care-en", json={**PLUSH, "version": 1, "answer": "B"}, headers=editor)
    assert stale.status_code == 409 and stale.json()["error"]["code"] == "version_conflict"
    bad_category = client.put("/api/kb/articles/unicorn-care-en", json={**PLUSH, "version": 2, "category": "x"},
                              headers=editor)
    assert bad_category.status_code == 422 and "category" in bad_category.json()["error"]["message"]
    agent = auth(client, "agnes", "agent-pw")
    assert client.post("/api/kb/articles", json={**PLUSH, "id": "by-agent"}, headers=agent).status_code == 403
    assert client.post("/api/kb/try", json={"question": "hi"}, headers=agent).status_code == 403
    assert client.get("/api/kb/questions", headers=agent).status_code == 403
    article = client.get("/api/kb/articles/unicorn-care-en", headers=editor).json()["article"]
    assert article["answer"] == "A" and article["version"] == 2


def test_ranked_search_filters_and_chinese(client):
    editor = auth(client)
    client.post("/api/kb/articles", json={**PLUSH, "tags": ["plush"], "group": "unicorn-care"}, headers=editor)
    client.post("/api/kb/articles", json=ZH, headers=editor)
    found = client.get("/api/kb/articles", params={"q": "机洗"}, headers=editor).json()["articles"]
    assert found[0]["id"] == "plush-care-zh" and found[0]["score"] > 0
    assert client.get("/api/kb/articles", params={"q": "washing machine"}, headers=editor).json()["articles"][0][
        "id"] == "unicorn-care-en"
    tagged = client.get("/api/kb/articles", params={"tag": "plush"}, headers=editor).json()["articles"]
    assert [a["id"] for a in tagged] == ["unicorn-care-en"]
    zh = client.get("/api/kb/articles", params={"language": "zh", "status": "draft"}, headers=editor).json()
    assert [a["id"] for a in zh["articles"]] == ["plush-care-zh"]
    en = client.get("/api/kb/articles/unicorn-care-en", headers=editor).json()["article"]
    assert [t["id"] for t in en["translations"]] == ["plush-care-zh"] and en["missing_languages"] == []
    client.post("/api/kb/articles", json={**PLUSH, "id": "lonely-en", "group": "lonely"}, headers=editor)
    assert client.get("/api/kb/articles/lonely-en", headers=editor).json()["article"]["missing_languages"] == ["zh"]
    assert client.get("/api/kb/articles", params={"language": "fr"}, headers=editor).status_code == 422


def test_try_it_with_and_without_the_draft_and_collisions(client):
    editor = auth(client)
    question = "Can the unicorn plush go in the washing machine?"
    tried = client.post("/api/kb/try", json={"question": question, "draft": PLUSH}, headers=editor)
    assert tried.status_code == 200, tried.text
    body = tried.json()
    assert all(h["article_id"] != "unicorn-care-en" for h in body["published"]["hits"])
    top = body["with_draft"]["hits"][0]
    assert top["article_id"] == "unicorn-care-en" and top["status"] == "draft"
    assert body["with_draft"]["outcome"] == "answer" and top["lexical"] > 0 and top["dense"] > 0
    assert len(body["with_draft"]["hits"]) == 5

    client.post("/api/kb/articles", json={**PLUSH, "status": "published"}, headers=editor)
    copy = {**PLUSH, "id": "copycat-en", "title": "Copycat", "questions": ["How do I wash the unicorn plush?",
                                                                           "What is the copycat policy?"]}
    created = client.post("/api/kb/articles", json=copy, headers=editor)
    phrasings = {c["phrasing"] for c in created.json()["collisions"]}
    assert "How do I wash the unicorn plush?" in phrasings and "What is the copycat policy?" not in phrasings
    warned = client.post("/api/kb/collisions", json=copy, headers=editor).json()["collisions"]
    assert {c["article_id"] for c in warned} == {"unicorn-care-en"}


def _conversation(client, turns):
    """Store a conversation: turns of (customer text, customer data, bot data)."""
    services = client.app.state.services
    store = services.core.conversations
    cid = client.post("/api/conversations").json()["conversation_id"]
    for text, customer_data, bot_data in turns:
        new = [(Sender.CUSTOMER, text, {"language": "en", **customer_data}), (Sender.BOT, "reply", bot_data)]
        client.portal.call(store.record, cid, new)
    return cid


def test_questions_to_fix_cluster_act_and_reopen(client):
    editor = auth(client)
    client.post("/api/kb/articles", json={**PLUSH, "status": "published"}, headers=editor)
    unsure = {"outcome": "unsure", "best_guess": "unicorn-care-en"}
    for text in ("do you ship to mars", "Do you ship to Mars?", "do you ship to mars please"):
        _conversation(client, [(text, {}, unsure)])
    _conversation(client, [("!!!", {}, unsure)])  # junk
    _conversation(client, [("how do I wash the unicorn plush", {},
                            {"outcome": "answer", "article_id": "unicorn-care-en", "helpful": False})])
    clusters = client.get("/api/kb/questions", headers=editor).json()["clusters"]
    mars = next(c for c in clusters if "mars" in c["representative"].lower())
    assert mars["count"] == 3 and mars["languages"] == ["en"] and mars["kinds"] == {"unsure": 3}
    assert len({e["text"].lower().rstrip("?") for e in mars["examples"]}) == len(mars["examples"])  # no duplicates
    assert mars["tried"][0]["article_id"] == "unicorn-care-en"
    assert not any(c["representative"] == "!!!" for c in clusters)
    rejected = next(c for c in clusters if "wash" in c["representative"])
    assert rejected["kinds"] == {"rejected": 1}

    draft = {**PLUSH, "id": "mars-shipping-en", "title": "Do you ship to Mars?", "questions": ["do you ship to mars"],
             "answer": "Not yet.", "category": "shipping"}
    made = client.post("/api/kb/questions/draft", json={"keys": mars["keys"], "article": draft}, headers=editor)
    assert made.status_code == 201 and made.json()["handled"] == 3
    assert client.get("/api/kb/articles/mars-shipping-en", headers=editor).json()["article"]["status"] == "draft"
    clusters = client.get("/api/kb/questions", headers=editor).json()["clusters"]
    assert not any("mars" in c["representative"].lower() for c in clusters)

    _conversation(client, [("do you ship to mars?", {}, unsure)])  # the same need fails again
    clusters = client.get("/api/kb/questions", headers=editor).json()["clusters"]
    reopened = next(c for c in clusters if "mars" in c["representative"].lower())
    assert reopened["open"] == 1 and reopened["count"] == 4

    dismissed = client.post("/api/kb/questions/dismiss", json={"keys": reopened["keys"]}, headers=editor)
    assert dismissed.status_code == 200
    wash = next(c for c in client.get("/api/kb/questions", headers=editor).json()["clusters"]
                if "wash" in c["representative"])
    article = client.get("/api/kb/articles/unicorn-care-en", headers=editor).json()["article"]
    added = client.post("/api/kb/questions/add-phrasings", json={
        "keys": wash["keys"], "article_id": "unicorn-care-en", "version": article["version"],
        "phrasings": ["how do I wash the unicorn plush really"]}, headers=editor)
    assert added.status_code == 200, added.text
    assert "how do I wash the unicorn plush really" in added.json()["article"]["questions"]
    assert client.get("/api/kb/questions", headers=editor).json()["clusters"] == []
    stale = client.post("/api/kb/questions/add-phrasings", json={
        "keys": wash["keys"], "article_id": "unicorn-care-en", "version": article["version"],
        "phrasings": ["x y"]}, headers=editor)
    assert stale.status_code == 409
    bad = client.post("/api/kb/questions/dismiss", json={"keys": []}, headers=editor)
    assert bad.status_code == 422 and "keys" in bad.json()["error"]["message"]


def test_article_quality_worst_first(client):
    editor = auth(client)
    good = {"outcome": "answer", "article_id": "good-en", "helpful": True}
    bad = {"outcome": "answer", "article_id": "bad-en", "helpful": False}
    for _ in range(3):
        _conversation(client, [("q", {}, good)])
    _conversation(client, [("q", {}, bad)])
    _conversation(client, [("q", {}, {"outcome": "answer", "article_id": "bad-en"}),
                           ("that's not what I asked", {}, {"outcome": "rephrase"})])
    _conversation(client, [("which one", {}, {"outcome": "clarify", "choices": ["good-en", "bad-en"]}),
                           ("Good", {"payload": '/ask_question{"article_id": "good-en"}'},
                            {"outcome": "answer", "article_id": "good-en", "chosen_by_customer": True})])
    rows = client.get("/api/kb/quality", headers=editor).json()["articles"]
    assert [r["article_id"] for r in rows] == ["bad-en", "good-en"]
    bad_row, good_row = rows
    assert (bad_row["answered"], bad_row["not_helpful"], bad_row["rejections"]) == (2, 1, 1)
    assert (good_row["answered"], good_row["helpful"], good_row["picks"]) == (4, 3, 1)
    by_answered = client.get("/api/kb/quality", params={"sort": "answered"}, headers=editor).json()["articles"]
    assert by_answered[0]["article_id"] == "good-en"
    assert client.get("/api/kb/quality", params={"sort": "nope"}, headers=editor).status_code == 422


def test_every_knowledge_base_change_is_in_the_audit_log(client):
    editor = auth(client)  # the bootstrap admin: edits the KB and reads the audit log
    created = client.post("/api/kb/articles", json=PLUSH, headers=editor).json()["article"]
    changed = client.put(f"/api/kb/articles/{created['id']}", headers=editor,
                         json={**PLUSH, "title": "Washing the unicorn", "version": created["version"]}).json()["article"]
    client.post(f"/api/kb/articles/{created['id']}/publish", json={"version": changed["version"]}, headers=editor)
    client.post(f"/api/kb/articles/{created['id']}/archive", headers=editor)
    client.post(f"/api/kb/articles/{created['id']}/versions/1/restore", headers=editor)

    entries = client.get("/api/audit", params={"action": "kb."}, headers=editor).json()["entries"]
    assert [e["action"] for e in reversed(entries)] == ["kb.create", "kb.update", "kb.publish", "kb.archive",
                                                        "kb.restore"]
    assert {e["target_id"] for e in entries} == {created["id"]}
    assert entries[-1]["actor_name"] == "Ed" and entries[-1]["details"]["language"] == "en"

"""Personal data is redacted before it is stored or logged (issue 13, finding 4)."""

import logging
import sqlite3

from privacy.logs import RedactingFilter
from tests.unit import test_api
from tests.unit.test_api import login, start

client = test_api.client

TYPED = ("my card is 4111 1111 1111 1111, CVV 123, password: hunter2; "
         "write to jane.doe@example.com or call 13812345678")
RAW = ("4111 1111 1111 1111", "4111111111111111", "hunter2", "jane.doe@example.com", "13812345678")


def _rows(db, sql):
    with sqlite3.connect(db) as conn:
        return [" ".join(map(str, row)) for row in conn.execute(sql)]


def test_what_a_customer_types_is_stored_redacted_and_the_agent_sees_the_masked_form(client, tmp_path):
    cid, auth = start(client)
    sent = client.post(f"/api/conversations/{cid}/messages", json={"text": TYPED}, headers=auth).json()
    customer = sent["messages"][0]
    assert customer["text"] == ("my card is 411111******1111, CVV [redacted], password: [redacted]; "
                                "write to j***@example.com or call 138****5678")
    assert customer["data"]["redacted"] == ["card", "secret", "email", "phone"]
    messages = " ".join(_rows(tmp_path / "faqbot.db", "SELECT text, data FROM messages"))
    assert not [raw for raw in RAW if raw in messages]
    handoff = client.get("/api/agent/handoffs", headers=login(client)).json()["handoffs"][0]  # Rasa is down here
    assert handoff["customer"] == {"email": "jane.doe@example.com", "phone": "13812345678"}  # contact fields
    assert "4111" not in handoff["summary"].replace("411111******1111", "")


def test_ticket_and_rating_texts_are_redacted_too(client, tmp_path):
    cid, auth = start(client)
    client.post(f"/api/conversations/{cid}/messages", json={"text": "help"}, headers=auth)
    left = client.post(f"/api/conversations/{cid}/ticket", headers=auth,
                       json={"message": "refund to card 5555555555554444 please", "email": "li@example.com"})
    assert left.status_code == 201
    texts = " ".join(m["text"] for m in left.json()["messages"])
    assert "5555555555554444" not in texts and "li@example.com" not in texts and "555555******4444" in texts
    stored = " ".join(_rows(tmp_path / "faqbot.db", "SELECT text, data FROM messages"))
    assert "li@example.com" not in stored and "5555555555554444" not in stored


def test_log_lines_are_masked():
    record = logging.LogRecord("faqbot", logging.ERROR, __file__, 1, "customer wrote %s", (TYPED,), None)
    assert RedactingFilter().filter(record)
    line = record.getMessage()
    assert not [raw for raw in RAW if raw in line] and "411111******1111" in line and "138****5678" in line

"""Against the real Rasa: what a customer types reaches Rasa's tracker store redacted (issue 13, finding 4)."""

import json
import stat

import httpx

from faqbot.rasa_gateway import RasaServiceAuth
from tests.live import Customer

RAW = ("4111 1111 1111 1111", "4111111111111111", "hunter2", "jane.doe@example.com", "13812345678")


def test_rasas_tracker_never_sees_cards_secrets_emails_or_phones(live):
    customer = Customer(live.web_url)
    customer.say("my card 4111 1111 1111 1111 was charged twice, CVV 123")
    customer.say("my password is hunter2 and my email is jane.doe@example.com")
    tracker = httpx.get(f"{live.rasa_url}/conversations/{customer.id}/tracker",
                        auth=RasaServiceAuth(live.settings.rasa_jwt_secret), timeout=10).json()
    dump = json.dumps(tracker, ensure_ascii=False)
    assert not [raw for raw in RAW if raw in dump]
    assert "411111******1111" in dump  # the masked form is what the bot saw
    stored = (live.settings.data_dir / "rasa_tracker.db").read_bytes()
    assert not [raw for raw in RAW if raw.encode() in stored]


def test_a_chinese_mobile_number_is_a_phone_not_an_order_number(live):
    customer = Customer(live.web_url)
    turn = customer.say("13812345678")
    said = turn["messages"][0]
    assert said["text"] == "138****5678" and said["data"]["redacted"] == ["phone"]
    assert not [e for e in said["data"].get("entities") or [] if e.get("entity") == "order_number"]
    tracker = httpx.get(f"{live.rasa_url}/conversations/{customer.id}/tracker",
                        auth=RasaServiceAuth(live.settings.rasa_jwt_secret), timeout=10).json()
    assert tracker["slots"].get("order_number") in (None, "")


def test_the_database_tracker_store_and_index_are_owner_only(live):
    Customer(live.web_url).say("hello")
    data = live.settings.data_dir
    assert (data / "faqbot.db").is_file() and (data / "rasa_tracker.db").is_file()
    loose = [str(p) for p in data.rglob("*") if p.is_file() and stat.S_IMODE(p.stat().st_mode) & 0o077]
    assert loose == []

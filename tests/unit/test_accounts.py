"""Staff accounts and sessions (issue 13, finding 3): argon2 with old hashes upgraded, a password policy,
changing one's password, logout, listing and ending sessions, idle and absolute lifetimes, the same work
for unknown user names, no weak bootstrap admin."""

import datetime as dt
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from starlette.websockets import WebSocketDisconnect

from embeddings import HashingEncoder
from faqbot.agents import AgentStore, AuthenticationFailed, WeakPassword, passwords
from faqbot.agents.password_policy import check_password
from faqbot.agents.store import agents_table, sessions_table
from faqbot.app import create_app
from faqbot.launcher import free_port
from faqbot.settings import Settings
from storage import utcnow
from tests.factories import fake_detector
from tests.unit import test_api
from tests.unit.test_api import error_code, login

client = test_api.client


async def test_new_hashes_are_argon2id_and_old_scrypt_ones_are_upgraded_at_login(engine):
    agents = AgentStore(engine)
    alice = await agents.create("alice", "secret-pw")
    async with engine.begin() as conn:
        assert (await conn.execute(select(agents_table.c.password_hash))).scalar_one().startswith("$argon2id$")
        await conn.execute(update(agents_table).where(agents_table.c.id == alice.id)
                           .values(password_hash=passwords.legacy_scrypt_hash("secret-pw")))
    with pytest.raises(AuthenticationFailed):
        await agents.login("alice", "wrong-password")
    async with engine.connect() as conn:
        assert (await conn.execute(select(agents_table.c.password_hash))).scalar_one().startswith("scrypt$")
    await agents.login("alice", "secret-pw")
    async with engine.connect() as conn:
        upgraded = (await conn.execute(select(agents_table.c.password_hash))).scalar_one()
    assert upgraded.startswith("$argon2id$") and not passwords.needs_rehash(upgraded)
    await agents.login("alice", "secret-pw")


@pytest.mark.parametrize(("password", "problem"), [
    ("abcd", "at least 8"), ("password123", "common"), ("aaaaaaaaaa", "different characters"),
    ("Alice-Smith", "user name"), ("x" * 257, "at most 256"),
])
def test_the_password_policy(password, problem):
    with pytest.raises(WeakPassword, match=problem):
        check_password(password, "alice-smith")
    check_password("correct horse battery", "alice-smith")


def test_weak_passwords_are_refused_by_the_api(client):
    admin = login(client)
    short = client.post("/api/agent/agents", json={"username": "sam", "password": "abcd"}, headers=admin)
    assert short.status_code == 422 and error_code(short) == "invalid_request"
    common = client.post("/api/agent/agents", json={"username": "sam", "password": "password123"}, headers=admin)
    assert common.status_code == 422 and error_code(common) == "weak_password"


def test_changing_ones_password_ends_the_other_sessions(client):
    laptop, phone = login(client), login(client)
    url = "/api/agent/me/password"
    wrong = client.put(url, json={"current_password": "nope", "new_password": "a-new-secret"}, headers=laptop)
    assert wrong.status_code == 401
    weak = client.put(url, json={"current_password": "secret-pw", "new_password": "qwerty123"}, headers=laptop)
    assert weak.status_code == 422 and error_code(weak) == "weak_password"
    changed = client.put(url, json={"current_password": "secret-pw", "new_password": "a-new-secret"}, headers=laptop)
    assert changed.json() == {"other_sessions_ended": 1}
    assert client.get("/api/agent/me", headers=laptop).status_code == 200
    assert client.get("/api/agent/me", headers=phone).status_code == 401
    assert client.post("/api/agent/login", json={"username": "alice", "password": "secret-pw"}).status_code == 401
    assert login(client, password="a-new-secret")


def test_logout_ends_the_session_and_closes_its_console(client, monkeypatch):
    from faqbot.api import agent as agent_routes

    monkeypatch.setattr(agent_routes, "SESSION_CHECK_SECONDS", 0.2)
    session = login(client)
    token = session["Authorization"].split()[1]
    with client.websocket_connect(f"/api/agent/events?token={token}") as console:
        assert client.post("/api/agent/logout", headers=session).status_code == 204
        with pytest.raises(WebSocketDisconnect) as closed:
            while True:
                console.receive_json()
    assert closed.value.code == 4401
    assert client.get("/api/agent/me", headers=session).status_code == 401


def test_listing_and_ending_ones_sessions(client):
    first, second, third = login(client), login(client), login(client)
    sessions = client.get("/api/agent/me/sessions", headers=first).json()["sessions"]
    assert len(sessions) == 3 and [s["current"] for s in sessions] == [True, False, False]
    assert client.delete(f"/api/agent/me/sessions/{sessions[1]['id']}", headers=first).status_code == 204
    assert client.get("/api/agent/me", headers=second).status_code == 401
    assert client.delete(f"/api/agent/me/sessions/{sessions[1]['id']}", headers=first).status_code == 404
    assert client.delete("/api/agent/me/sessions", headers=first).json() == {"ended": 1}
    assert client.get("/api/agent/me", headers=third).status_code == 401
    assert client.get("/api/agent/me", headers=first).status_code == 200


async def test_sessions_end_when_idle_and_at_their_absolute_lifetime(engine):
    agents = AgentStore(engine, session_hours=12, idle_minutes=30)
    await agents.create("alice", "secret-pw")
    _, idle_token = await agents.login("alice", "secret-pw")
    _, busy_token = await agents.login("alice", "secret-pw")
    async with engine.begin() as conn:
        await conn.execute(update(sessions_table).values(last_seen_at=utcnow() - dt.timedelta(minutes=31)))
    with pytest.raises(AuthenticationFailed):
        await agents.agent_for_token(idle_token)
    async with engine.begin() as conn:  # a busy session: used a minute ago, but logged in 12 hours ago
        await conn.execute(update(sessions_table).values(last_seen_at=utcnow() - dt.timedelta(minutes=1),
                                                         expires_at=utcnow() - dt.timedelta(seconds=1)))
    with pytest.raises(AuthenticationFailed):
        await agents.agent_for_token(busy_token)


async def test_using_a_session_keeps_it_alive(engine):
    agents = AgentStore(engine, idle_minutes=30)
    await agents.create("alice", "secret-pw")
    _, token = await agents.login("alice", "secret-pw")
    async with engine.begin() as conn:
        await conn.execute(update(sessions_table).values(last_seen_at=utcnow() - dt.timedelta(minutes=29)))
    await agents.agent_for_token(token)  # used now: the idle clock restarts
    async with engine.connect() as conn:
        seen = (await conn.execute(select(sessions_table.c.last_seen_at))).scalar_one()
    assert utcnow() - seen < dt.timedelta(seconds=5)


async def test_an_unknown_user_name_costs_one_verification_like_a_known_one(engine, monkeypatch):
    agents = AgentStore(engine)
    await agents.create("alice", "secret-pw")
    calls: list[str] = []
    real = passwords._HASHER

    class Counting:
        def verify(self, stored, password):
            calls.append("verify")
            return real.verify(stored, password)

        def hash(self, password):
            calls.append("hash")
            return real.hash(password)

        def check_needs_rehash(self, stored):
            return real.check_needs_rehash(stored)

    monkeypatch.setattr(passwords, "_HASHER", Counting())
    for username in ("alice", "nobody"):
        calls.clear()
        started = time.perf_counter()
        with pytest.raises(AuthenticationFailed):
            await agents.login(username, "wrong-password")
        assert calls == ["verify"], username
        assert time.perf_counter() - started < 5


def test_a_weak_bootstrap_admin_is_refused(tmp_path: Path):
    settings = Settings(data_dir=tmp_path, rasa_url=f"http://127.0.0.1:{free_port()}", action_token="t",
                        bootstrap_agent="agent:agent")
    with pytest.raises(ValueError, match="FAQBOT_BOOTSTRAP_AGENT"):
        with TestClient(create_app(settings, encoder=HashingEncoder(), frustration_detector=fake_detector())):
            pass


# --- roles (issue 11): an account holds several, admin holds all ------------------------------------

def test_an_account_holds_several_roles_and_admin_holds_all(tmp_path):
    from faqbot.agents import Agent, clean_roles

    both = Agent("1", "sam", "Sam", clean_roles(["editor", "supervisor"]))
    assert both.has_role("editor") and both.has_role("supervisor") and not both.has_role("agent")
    assert both.role == "supervisor"
    assert both.to_json()["roles"] == ["editor", "supervisor"]
    admin = Agent("2", "ada", "Ada", clean_roles(["admin"]))
    assert all(admin.has_role(r) for r in ("agent", "editor", "supervisor"))


@pytest.mark.parametrize("roles, message", [([], "at least one role"), (["agent", "owner"], "unknown role(s) owner")])
def test_unknown_or_missing_roles_are_refused_by_name(roles, message):
    from faqbot.agents import clean_roles

    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        clean_roles(roles)

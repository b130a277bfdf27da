"""The database out of reach: told apart from other database errors, answered 503 with Retry-After in one place
(HTTP and WebSocket), and a customer's message whose turn it interrupted finished by the retry, stored and
answered once. (The whole of it against a real PostgreSQL stopped and started: tests/integration/
test_fleet_postgres_restart.py.)"""

from __future__ import annotations

import asyncio

import asyncpg
import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI, WebSocket
from fastapi.testclient import TestClient
from sqlalchemy import exc as sa_exc
from sqlalchemy.ext.asyncio import create_async_engine
from starlette.testclient import WebSocketDenialResponse

from faqbot.agents import Presence
from faqbot.api.errors import install_error_handlers
from faqbot.conversations import Sender
from faqbot.db_outage import is_database_unavailable
from faqbot.errors import DatabaseUnavailable
from faqbot.launcher import free_port
from faqbot.rasa_gateway import RasaGateway, RasaStoreUnavailable, RasaUnavailable


async def refused_connect() -> Exception:
    """What the service's engine raises when no PostgreSQL listens (a real connect to a closed port)."""
    engine = create_async_engine(f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/none")
    try:
        async with engine.connect() as conn:
            await conn.execute(sa.text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - whatever it is, it is what the routes meet
        return exc
    finally:
        await engine.dispose()
    raise AssertionError("connected to a closed port")


async def integrity_error(engine) -> Exception:
    async with engine.begin() as conn:
        await conn.execute(sa.text("CREATE TABLE IF NOT EXISTS t_unique (k INTEGER PRIMARY KEY)"))
        await conn.execute(sa.text("INSERT INTO t_unique VALUES (1)"))
    try:
        async with engine.begin() as conn:
            await conn.execute(sa.text("INSERT INTO t_unique VALUES (1)"))
    except Exception as exc:  # noqa: BLE001
        return exc
    raise AssertionError("no integrity error")


async def test_the_database_out_of_reach_is_told_apart_from_other_errors(engine):
    assert is_database_unavailable(await refused_connect())
    assert is_database_unavailable(sa_exc.TimeoutError("QueuePool limit reached"))
    assert is_database_unavailable(asyncpg.CannotConnectNowError("the database system is starting up"))
    assert is_database_unavailable(asyncpg.AdminShutdownError("terminating connection due to administrator command"))
    assert is_database_unavailable(asyncpg.ConnectionDoesNotExistError("connection was closed in the middle"))
    wrapped = RuntimeError("while storing")
    wrapped.__cause__ = asyncpg.CannotConnectNowError("the database system is shutting down")
    assert is_database_unavailable(wrapped)

    assert not is_database_unavailable(await integrity_error(engine))  # a bug or a conflict, not an outage
    assert not is_database_unavailable(FileNotFoundError("articles/x.md"))  # an OSError outside the driver
    assert not is_database_unavailable(ValueError("bad"))


async def test_routes_meeting_it_answer_503_with_retry_after_and_other_errors_stay_500(engine):
    conflict = await integrity_error(engine)
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/down")
    async def _down() -> None:
        raise await refused_connect()

    @app.get("/conflict")
    async def _conflict() -> None:
        raise conflict

    @app.websocket("/socket")
    async def _socket(websocket: WebSocket) -> None:
        raise await refused_connect()

    @app.websocket("/socket-open")
    async def _socket_open(websocket: WebSocket) -> None:
        await websocket.accept()
        raise await refused_connect()

    client = TestClient(app, raise_server_exceptions=False)
    response = client.get("/down")
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "database_unavailable" and set(response.json()) == {"error"}
    assert int(response.headers["Retry-After"]) > 0
    assert client.get("/conflict").status_code == 500

    with pytest.raises(WebSocketDenialResponse) as refused:  # before the handshake: the same HTTP answer
        with client.websocket_connect("/socket"):
            pass
    assert refused.value.status_code == 503 and refused.value.json()["error"]["code"] == "database_unavailable"
    assert int(refused.value.headers["Retry-After"]) > 0
    with client.websocket_connect("/socket-open") as socket:  # after it: closed with 1013 "try again later"
        message = socket.receive()
    assert message == {"type": "websocket.close", "code": 1013, "reason": "database_unavailable"}


async def test_rasas_tracker_store_out_of_reach_is_its_own_error():
    answers = iter([httpx.Response(503, json={"error": "tracker_store_unavailable"}),
                    httpx.Response(503, json={"error": "no model loaded"})])
    client = httpx.AsyncClient(transport=httpx.MockTransport(lambda request: next(answers)))
    gateway = RasaGateway("http://rasa.test", 5, client=client)
    with pytest.raises(RasaStoreUnavailable):
        await gateway.send("c1", "hello")
    with pytest.raises(RasaUnavailable) as other:
        await gateway.send("c1", "hello")
    assert not isinstance(other.value, RasaStoreUnavailable)


async def test_a_turn_refused_by_rasas_store_is_finished_by_the_retry_stored_and_answered_once(chat, rasa):
    conversation, _ = await chat.start()
    rasa.store_down = True
    with pytest.raises(DatabaseUnavailable):
        await chat.customer_message(conversation.id, "where is my parcel?", client_id="c-1")
    stored = await chat.history(conversation.id)
    assert [(m.sender, m.text) for m in stored] == [(Sender.CUSTOMER, "where is my parcel?")]  # kept, not lost

    rasa.store_down = False
    result = await chat.customer_message(conversation.id, "where is my parcel?", client_id="c-1")
    assert [m.sender for m in result.messages] == [Sender.CUSTOMER, Sender.BOT]
    again = await chat.customer_message(conversation.id, "where is my parcel?", client_id="c-1")
    assert [m.seq for m in again.messages] == [m.seq for m in result.messages]  # answered: nothing more
    history = await chat.history(conversation.id)
    assert [(m.seq, m.sender) for m in history] == [(1, Sender.CUSTOMER), (2, Sender.BOT)]
    assert rasa.sent == ["where is my parcel?"]
    assert history[0].data["intent"] == "ask_question"


async def test_a_turn_rasa_saved_before_the_database_went_away_is_not_sent_to_rasa_again(chat, rasa, monkeypatch):
    conversation, _ = await chat.start()
    store = chat._conversations
    record = store.record

    async def database_gone(*args, **kwargs):
        raise await refused_connect()

    monkeypatch.setattr(store, "record", database_gone)
    with pytest.raises(OSError) as gone:  # a refused connect, as asyncpg raises it
        await chat.customer_message(conversation.id, "where is my parcel?", client_id="c-2")
    assert is_database_unavailable(gone.value)  # the HTTP layer answers it 503 (test above)
    assert rasa.sent == ["where is my parcel?"]  # Rasa took and saved the turn; its replies were not stored

    monkeypatch.setattr(store, "record", record)
    result = await chat.customer_message(conversation.id, "where is my parcel?", client_id="c-2")
    assert [m.sender for m in result.messages] == [Sender.CUSTOMER, Sender.BOT]
    assert result.messages[1].text == "An answer."
    assert rasa.sent == ["where is my parcel?"]  # the replies came from the saved turn, not a second run
    assert [m.sender for m in await chat.history(conversation.id)] == [Sender.CUSTOMER, Sender.BOT]


def _agent_lookups_fail_until_cleared(desk, agents, monkeypatch) -> dict[str, bool]:
    """Agent lookups raise the error of a PostgreSQL shutting down while `outage["on"]`; presence retries fast."""
    monkeypatch.setattr(desk.presence, "RETRY_SECONDS", 0.05)
    by_id = agents.by_id
    outage = {"on": True}

    async def maybe_down(agent_id):
        if outage["on"]:
            raise asyncpg.CannotConnectNowError("the database system is shutting down")
        return await by_id(agent_id)

    monkeypatch.setattr(agents, "by_id", maybe_down)
    return outage


async def test_a_console_closed_while_the_database_is_away_leaves_the_agent_away_once_it_is_back(desk, agents,
                                                                                                monkeypatch):
    alice = await agents.create("alice", "secret-pw")
    await desk.console_connected(alice)
    assert (await agents.by_id(alice.id)).presence is Presence.ONLINE
    by_id, outage = agents.by_id, _agent_lookups_fail_until_cleared(desk, agents, monkeypatch)
    await desk.console_disconnected(alice)  # does not raise: retried in the background
    await asyncio.sleep(0.2)
    outage["on"] = False
    for _ in range(100):
        if (await by_id(alice.id)).presence is Presence.AWAY:
            break
        await asyncio.sleep(0.05)
    assert (await by_id(alice.id)).presence is Presence.AWAY  # not left "online" without a console


async def test_a_console_reopened_before_the_database_is_back_keeps_the_agent_online(desk, agents, monkeypatch):
    alice = await agents.create("alice", "secret-pw")
    await desk.console_connected(alice)
    by_id, outage = agents.by_id, _agent_lookups_fail_until_cleared(desk, agents, monkeypatch)
    await desk.console_disconnected(alice)
    outage["on"] = False
    await desk.console_connected(alice)  # back before the retry looked
    await asyncio.sleep(0.3)
    assert (await by_id(alice.id)).presence is Presence.ONLINE

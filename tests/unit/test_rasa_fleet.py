"""The gateway over several Rasa instances (a fake transport decides how each instance fails), where Rasa's
stores go, the launcher's layout checks and nginx configuration, metrics and JSON log lines."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import httpx
import pytest

from faqbot import log_format
from faqbot.launcher import LayoutError, check_layout, nginx_main_config, nginx_site
from faqbot.metrics import Metrics, quantiles
from faqbot.rasa_gateway import TURN_ID_KEY, RasaGateway, RasaUnavailable, parse_urls, turn_from_tracker
from faqbot.rasa_stores import RasaStores
from faqbot.settings import Settings

A, B = "http://rasa-a:5005", "http://rasa-b:5005"
REPLY = {"messages": [{"text": "Refunds take 5 days.", "custom": {"outcome": "answer"}}],
         "nlu": {"intent": "ask_refund", "confidence": 0.9, "entities": []}}


class Instances:
    """Two fake Rasa instances; `broken`: the connection drops after the request was sent; `dead`: refused."""

    def __init__(self) -> None:
        self.dead: set[str] = set()
        self.break_next = False  # the next turn: taken, then the instance dies before answering
        self.turns: dict[str, list[dict]] = {A: [], B: []}
        self.tracker: list[dict] = []
        self.requests: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        base = f"{request.url.scheme}://{request.url.host}:{request.url.port}"
        self.requests.append(f"{base} {request.method} {request.url.path}")
        if base in self.dead:
            raise httpx.ConnectError("refused", request=request)
        if request.url.path.endswith("/webhook"):
            body = json.loads(request.content)
            self.turns[base].append(body)
            if self.break_next:  # it ran the turn (maybe saved it), then the connection dropped
                self.break_next = False
                self.dead.add(base)
                raise httpx.RemoteProtocolError("server disconnected", request=request)
            return httpx.Response(200, json=REPLY)
        if request.url.path.endswith("/tracker"):
            return httpx.Response(200, json={"events": self.tracker})
        if request.url.path == "/status":
            return httpx.Response(200, json={"model_file": "m.tar.gz"})
        return httpx.Response(200, json={})


def gateway(instances: Instances) -> RasaGateway:
    return RasaGateway(f"{A}, {B}", 5, httpx.AsyncClient(transport=httpx.MockTransport(instances)))


async def test_turns_are_spread_and_a_refusing_instance_is_skipped():
    instances = Instances()
    rasa = gateway(instances)
    for _ in range(4):
        await rasa.send("c1", "hi")
    assert len(instances.turns[A]) == 2 and len(instances.turns[B]) == 2
    instances.dead.add(B)
    for _ in range(3):
        turn = await rasa.send("c1", "refund?")
        assert turn.replies[0].text == "Refunds take 5 days."
    assert len(instances.turns[A]) == 5 and len(instances.turns[B]) == 2  # B refused: nothing reached it
    assert sum("rasa-b" in r and "webhook" in r for r in instances.requests) == 3  # tried once, then left alone
    assert await rasa.instance_status() == {A: True, B: False} and await rasa.is_ready()


async def test_a_turn_lost_with_a_dead_instance_is_sent_once_more_only_if_it_was_not_saved():
    instances = Instances()
    rasa = gateway(instances)
    instances.break_next = True  # the instance takes the turn and dies before answering; its tracker has nothing
    turn = await rasa.send("c1", "refund?")
    assert turn.replies[0].text == "Refunds take 5 days."
    [dead] = instances.dead
    survivor = B if dead == A else A
    [lost], [resent] = instances.turns[dead], instances.turns[survivor]
    assert lost == resent  # the same turn (same id), sent to the other after checking the tracker
    assert any(r.startswith(survivor) and r.endswith("/tracker") for r in instances.requests)


async def test_a_turn_saved_before_the_instance_died_is_taken_from_the_tracker_not_sent_again():
    instances = Instances()
    rasa = gateway(instances)
    instances.break_next = True

    def saved(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/tracker"):  # A saved the turn: the user event carries its id
            [dead] = instances.dead
            turn_id = instances.turns[dead][0]["metadata"][TURN_ID_KEY]
            instances.tracker = [
                {"event": "user", "text": "refund?", "metadata": {TURN_ID_KEY: turn_id},
                 "parse_data": {"intent": {"name": "ask_refund", "confidence": 0.8}, "entities": []}},
                {"event": "action", "name": "action_answer_from_kb"},
                {"event": "bot", "text": "Refunds take 5 days.", "data": {"custom": {"outcome": "answer"}}},
            ]
        return instances(request)

    rasa._client = httpx.AsyncClient(transport=httpx.MockTransport(saved))  # noqa: SLF001 - the fake
    turn = await rasa.send("c1", "refund?")
    assert [r.text for r in turn.replies] == ["Refunds take 5 days."] and turn.nlu.intent == "ask_refund"
    assert sum(len(t) for t in instances.turns.values()) == 1  # never sent twice


async def test_a_broken_connection_to_an_instance_still_up_is_not_retried():
    instances = Instances()
    rasa = gateway(instances)

    sent = []

    def flaky(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/webhook"):
            sent.append(request.url.host)
            raise httpx.ReadError("connection reset", request=request)
        return instances(request)  # /status answers: the instance is up, the turn may be running there

    rasa._client = httpx.AsyncClient(transport=httpx.MockTransport(flaky))  # noqa: SLF001
    with pytest.raises(RasaUnavailable, match="still up: not sent again"):
        await rasa.send("c1", "refund?")
    assert len(sent) == 1


async def test_a_read_timeout_is_never_retried():
    calls = []

    def slow(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.host)
        raise httpx.ReadTimeout("slow", request=request)

    rasa = RasaGateway(f"{A},{B}", 5, httpx.AsyncClient(transport=httpx.MockTransport(slow)))
    with pytest.raises(RasaUnavailable, match="ReadTimeout"):
        await rasa.send("c1", "hi")
    assert len(calls) == 1


def test_rasa_urls_are_a_comma_separated_list():
    assert parse_urls(" http://a:1/, http://b:2 ,") == ["http://a:1", "http://b:2"]
    with pytest.raises(ValueError, match="FAQBOT_RASA_URL"):
        parse_urls(" , ")
    assert turn_from_tracker([{"event": "user", "metadata": {}}], "x") is None


def test_rasas_stores_follow_the_services_database_and_redis(tmp_path):
    local = RasaStores.from_settings(Settings(data_dir=tmp_path))
    assert local.tracker_url == f"sqlite+aiosqlite:///{tmp_path / 'rasa_tracker.db'}" and not local.is_shared
    env = local.rasa_env()
    assert env["FAQBOT_RASA_TRACKER_DIALECT"] == "sqlite" and env["FAQBOT_RASA_LOCK_STORE"] == "in_memory"
    fleet = RasaStores.from_settings(Settings(data_dir=tmp_path, rasa_timeout_seconds=10,
                                              database_url="postgresql+asyncpg://bot:pw@db.local:6543/shop",
                                              redis_url="redis://:secret@cache.local:6380/3"))
    assert fleet.is_shared and fleet.tracker_url == "postgresql+asyncpg://bot:pw@db.local:6543/shop_rasa"
    env = fleet.rasa_env()
    assert {k: env[k] for k in env if k.startswith("FAQBOT_RASA_TRACKER_")} == {
        "FAQBOT_RASA_TRACKER_DIALECT": "postgresql", "FAQBOT_RASA_TRACKER_HOST": "db.local:6543",
        "FAQBOT_RASA_TRACKER_DB": "shop_rasa", "FAQBOT_RASA_TRACKER_USER": "bot",
        "FAQBOT_RASA_TRACKER_PASSWORD": "pw", "FAQBOT_RASA_TRACKER_LOGIN_DB": "shop"}
    assert (env["FAQBOT_RASA_LOCK_STORE"], env["FAQBOT_RASA_LOCK_HOST"], env["FAQBOT_RASA_LOCK_PORT"],
            env["FAQBOT_RASA_LOCK_DB"], env["FAQBOT_RASA_LOCK_PASSWORD"]) == ("redis", "cache.local", "6380", "3",
                                                                              "secret")
    assert env["TICKET_LOCK_LIFETIME"] == "11"
    # every variable bot/endpoints.yml reads is set (Rasa refuses an unset ${...})
    import re

    wanted = set(re.findall(r"\$\{(\w+)\}", Path("bot/endpoints.yml").read_text()))
    assert wanted - {"FAQBOT_ACTION_ENDPOINT_URL", "FAQBOT_ACTION_TOKEN"} <= set(env)


def test_the_launcher_refuses_layouts_that_would_lose_data(tmp_path):
    with pytest.raises(LayoutError, match="PostgreSQL and their locks in Redis"):
        check_layout(Settings(data_dir=tmp_path), 1, 2)
    with pytest.raises(LayoutError, match="postgresql"):
        check_layout(Settings(data_dir=tmp_path, redis_url="redis://x/1"), 2, 1)
    check_layout(Settings(data_dir=tmp_path), 1, 1)


def test_nginx_runs_the_deployments_own_file_with_this_machines_ports(tmp_path):
    site = nginx_site("127.0.0.1:9000", ["127.0.0.1:7001", "127.0.0.1:7002", "127.0.0.1:7003"],
                      tmp_path / "access.log")
    assert site.count("server 127.0.0.1:700") == 3 and "8001" not in site and "listen 127.0.0.1:9000;" in site
    assert f"access_log {tmp_path / 'access.log'} faqbot;" in site
    assert "proxy_set_header Upgrade $http_upgrade;" in site and "deny all;" in site
    assert f"pid {tmp_path / 'nginx.pid'};" in nginx_main_config(site, tmp_path)


def test_metrics_count_turns_and_rasa_calls_and_name_the_process():
    from prometheus_client import generate_latest

    metrics = Metrics(worker="3")
    metrics.turn(0.2, ["answer"])
    metrics.rasa_call(A, "turn", 0.1, None)
    metrics.rasa_call(B, "turn", None, "ConnectError")
    text = generate_latest(metrics.registry).decode()
    assert 'faqbot_turns_total{outcome="answer"} 1.0' in text
    assert f'faqbot_rasa_errors_total{{error="ConnectError",instance="{B}"}} 1.0' in text
    assert 'faqbot_turn_seconds_count{stage="rasa"} 1.0' in text and 'worker="3"' in text
    assert quantiles([3.0, 1.0, 2.0]) == {"0.5": 2.0, "0.9": 3.0} and quantiles([]) == {}


def test_json_log_lines_carry_the_request_and_conversation_ids():
    formatter = log_format.JsonFormatter("web-2")
    record = logging.makeLogRecord({"name": "faqbot.chat", "levelname": "WARNING", "msg": "card 4111 1111 %s",
                                    "args": ("x",), "handoff_id": "h1"})
    tokens = log_format.request_id.set("r1"), log_format.conversation_id.set("c1")
    try:
        line = json.loads(formatter.format(record))
    finally:
        log_format.request_id.reset(tokens[0])
        log_format.conversation_id.reset(tokens[1])
    assert line["process"] == "web-2" and line["level"] == "warning" and line["message"] == "card 4111 1111 x"
    assert (line["request_id"], line["conversation_id"], line["handoff_id"]) == ("r1", "c1", "h1")
    with pytest.raises(ValueError, match="FAQBOT_LOG_FORMAT"):
        log_format.formatter("xml")


def test_faqbot_rasa_env_prints_what_rasa_needs(monkeypatch, capsys, tmp_path):
    from faqbot.cli import main

    monkeypatch.setenv("FAQBOT_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("FAQBOT_DATABASE_URL", "postgresql+asyncpg://bot@db.local/shop")
    monkeypatch.setenv("FAQBOT_REDIS_URL", "redis://cache.local:6379/4")
    assert main(["rasa-env"]) == 0
    lines = dict(line.split("=", 1) for line in capsys.readouterr().out.splitlines())
    assert lines["FAQBOT_RASA_TRACKER_DIALECT"] == "postgresql" and lines["FAQBOT_RASA_TRACKER_DB"] == "shop_rasa"
    assert lines["FAQBOT_RASA_LOCK_STORE"] == "redis" and lines["FAQBOT_RASA_LOCK_DB"] == "4"


def test_faqbot_up_refuses_a_layout_it_cannot_run_safely(monkeypatch, capsys, tmp_path):
    from faqbot.cli import main

    monkeypatch.setenv("FAQBOT_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("FAQBOT_DATABASE_URL", raising=False)
    with pytest.raises(SystemExit) as stopped:
        main(["up", "--rasa-instances", "2"])
    assert stopped.value.code == 2 and "PostgreSQL and their locks in Redis" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["up", "--workers", "0"])
    assert "must be at least 1" in capsys.readouterr().err

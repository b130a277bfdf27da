"""Rate limits and quotas: 429 with Retry-After, per address, per conversation, per login name with backoff,
per WebSocket; counters in memory or shared through Redis (issue 13, finding 2)."""

import asyncio
import math
import time
import uuid
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from embeddings import HashingEncoder
from faqbot.app import create_app
from faqbot.launcher import free_port
from faqbot.security.ratelimit import Limit, LimitsPolicy, RateLimited, RateLimiter, storage_for
from faqbot.settings import Settings
from tests.factories import fake_detector
from tests.unit.test_api import error_code

REDIS = "redis://127.0.0.1:6379/15"


def make_client(tmp_path: Path, **limits) -> TestClient:
    settings = Settings(data_dir=tmp_path, rasa_url=f"http://127.0.0.1:{free_port()}", rasa_timeout_seconds=2,
                        bootstrap_agent="alice:secret-pw", action_token="t", **limits)
    return TestClient(create_app(settings, encoder=HashingEncoder(), frustration_detector=fake_detector()))


def assert_429(response) -> int:
    assert response.status_code == 429, response.text
    assert error_code(response) == "rate_limited" and "try again in" in response.json()["error"]["message"]
    return int(response.headers["retry-after"])


def test_wrong_logins_back_off_per_name_doubling_each_time(tmp_path):
    with make_client(tmp_path, rate_login_per_ip="1000/minute") as client:
        for username in ("alice", "nobody-by-this-name"):  # a real name and an unknown one behave the same
            attempt = lambda password="wrong", u=username: client.post(  # noqa: E731
                "/api/agent/login", json={"username": u, "password": password})
            assert [attempt().status_code for _ in range(6)] == [401] * 6  # five free, the sixth locks for 1 s
            assert assert_429(attempt()) == 1
            assert assert_429(attempt("secret-pw")) == 1  # while locked, even the right password waits
            time.sleep(1.1)
            assert attempt().status_code == 401  # locks for 2 s
            assert assert_429(attempt()) == 2
        time.sleep(2.1)
        assert client.post("/api/agent/login", json={"username": "alice", "password": "secret-pw"}).status_code == 200


def test_two_hundred_wrong_logins_from_one_address_are_mostly_refused(tmp_path):
    with make_client(tmp_path) as client:  # 20/minute per address
        started = time.monotonic()
        codes = [client.post("/api/agent/login", json={"username": f"user{i % 7}", "password": "x"}).status_code
                 for i in range(200)]
        elapsed = time.monotonic() - started
    # a sliding window lets the limit's rate through while the test runs: 20 at once, then 20 per minute (a run
    # that crosses a minute boundary sees the last window's count weigh less as the new window advances)
    allowed = 20 + math.ceil(20 * elapsed / 60)
    assert codes.count(401) <= allowed and codes.count(429) >= 200 - allowed and set(codes) == {401, 429}


def test_conversation_creation_is_limited_per_address(tmp_path):
    with make_client(tmp_path) as client:
        codes = [client.post("/api/conversations").status_code for _ in range(25)]
        assert codes[:20] == [201] * 20 and set(codes[20:]) == {429}
        retry = assert_429(client.post("/api/conversations"))
        assert 1 <= retry <= 60


def test_messages_are_limited_per_conversation(tmp_path):
    with make_client(tmp_path) as client:
        busy, quiet = (client.post("/api/conversations").json() for _ in range(2))
        post = lambda c, text: client.post(f"/api/conversations/{c['conversation_id']}/messages",  # noqa: E731
                                           json={"text": text}, headers={"Authorization": f"Bearer {c['token']}"})
        assert [post(busy, f"message {i}").status_code for i in range(20)] == [200] * 20
        assert_429(post(busy, "one too many"))
        assert post(quiet, "hello").status_code == 200  # another conversation is not affected
        stored = client.get(f"/api/conversations/{busy['conversation_id']}/messages",
                            headers={"Authorization": f"Bearer {busy['token']}"}).json()["messages"]
        assert "one too many" not in [m["text"] for m in stored]  # refused, and said so: nothing silently lost


def test_messages_are_limited_per_address(tmp_path):
    with make_client(tmp_path, rate_messages_per_ip="5/minute") as client:
        started = [client.post("/api/conversations").json() for _ in range(3)]
        codes = [client.post(f"/api/conversations/{c['conversation_id']}/messages", json={"text": "hi"},
                             headers={"Authorization": f"Bearer {c['token']}"}).status_code
                 for c in started for _ in range(2)]
        assert codes == [200] * 5 + [429]


def test_a_flooding_websocket_client_gets_errors_then_is_disconnected(tmp_path):
    with make_client(tmp_path, rate_socket_messages="3/second") as client:
        started = client.post("/api/conversations").json()
        url = f"/api/conversations/{started['conversation_id']}/events?token={started['token']}"
        with client.websocket_connect(url) as ws:
            for _ in range(5):
                ws.send_json({"type": "ping"})
            replies = [ws.receive_json() for _ in range(5)]
        assert [r["type"] for r in replies].count("pong") == 3
        refused = [r for r in replies if r["type"] == "error"]
        assert len(refused) == 2 and refused[0]["error"]["code"] == "rate_limited"


def _policy(spec: str) -> LimitsPolicy:
    limit = Limit.parse("test", "tests", spec)
    return LimitsPolicy(limit, limit, limit, limit, limit, login_free_failures=1, login_backoff_max_seconds=4)


@pytest.mark.parametrize("url", ["", REDIS], ids=["memory", "redis"])
async def test_the_limiter_over_memory_and_redis(url):
    limiter = RateLimiter(_policy("3/minute"), storage_for(url))
    key = uuid.uuid4().hex
    for _ in range(3):
        await limiter.hit(limiter.policy.login_per_ip, key)
    with pytest.raises(RateLimited) as refused:
        await limiter.hit(limiter.policy.login_per_ip, key)
    assert 1 <= refused.value.retry_after <= 60 and refused.value.headers["Retry-After"]
    name = f"user-{key}"
    await limiter.login_failed(name)
    await limiter.check_login(name)  # one free failure
    await limiter.login_failed(name)
    with pytest.raises(RateLimited):
        await limiter.check_login(name)
    await limiter.aclose()


async def test_processes_sharing_redis_share_the_counts():
    first, second = (RateLimiter(_policy("4/minute"), storage_for(REDIS)) for _ in range(2))
    key = uuid.uuid4().hex
    await asyncio.gather(*(limiter.hit(limiter.policy.messages_per_ip, key) for limiter in (first, second, first)))
    await second.hit(second.policy.messages_per_ip, key)
    with pytest.raises(RateLimited):
        await first.hit(first.policy.messages_per_ip, key)
    await first.aclose()
    await second.aclose()


def test_redis_backed_limits_in_the_app(tmp_path):
    window = f"3 per {uuid.uuid4().int % 100_000 + 60} seconds"  # its own counter, whatever ran before
    with make_client(tmp_path, redis_url=REDIS, rate_conversations_per_ip=window) as client:
        codes = [client.post("/api/conversations").status_code for _ in range(4)]
    assert codes == [201, 201, 201, 429]




async def test_a_full_window_refuses_until_it_has_passed(monkeypatch):
    """limits' sliding window counter, in memory: a full window refuses (with a Retry-After inside the window)
    until it has passed; other keys keep their own counts."""
    now = [6000.0]  # the start of a one-minute window
    monkeypatch.setattr(time, "time", lambda: now[0])
    limiter = RateLimiter(_policy("2/minute"), storage_for(""))
    limit = limiter.policy.messages_per_ip
    await limiter.hit(limit, "a")
    await limiter.hit(limit, "a")
    with pytest.raises(RateLimited) as refused:
        await limiter.hit(limit, "a")
    assert 0 < refused.value.retry_after <= 60
    await limiter.hit(limit, "b")  # other keys have their own counts
    now[0] = 6045.0  # later in the same window: still full
    with pytest.raises(RateLimited):
        await limiter.hit(limit, "a")
    now[0] = 6130.0  # the window has passed
    await limiter.hit(limit, "a")

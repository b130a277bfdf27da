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


def counting_storage():
    """The in-memory store, counting the limiter's calls to its windows."""
    storage = storage_for("")
    storage.calls = 0
    for name in ("get_sliding_window", "acquire_sliding_window_entry"):
        def counted(*args, _inner=getattr(storage, name), **kwargs):
            storage.calls += 1
            return _inner(*args, **kwargs)

        setattr(storage, name, counted)
    return storage


async def test_a_refusal_is_remembered_until_the_window_frees_a_slot(monkeypatch):
    """A flood's further requests are refused without asking the store, with the Retry-After the store would
    give, until the time the store named; then the store is asked again and lets the next one through."""
    now = [6030.0]  # half way through a one-minute window
    monkeypatch.setattr(time, "time", lambda: now[0])
    refusals: list[str] = []
    storage = counting_storage()
    limiter = RateLimiter(_policy("2/minute"), storage, on_refusal=refusals.append)
    limit = limiter.policy.messages_per_ip
    await limiter.hit(limit, "a")
    await limiter.hit(limit, "a")
    with pytest.raises(RateLimited) as first:
        await limiter.hit(limit, "a")
    assert first.value.retry_after == 30  # the window ends at 6060
    asked = storage.calls
    now[0] = 6045.0
    for _ in range(100):
        with pytest.raises(RateLimited) as again:
            await limiter.hit(limit, "a")
        assert again.value.retry_after == 15
    assert limiter.refused(limit, "a").retry_after == 15
    assert storage.calls == asked  # from memory: the store was not asked again
    assert refusals == ["test"] * 102  # every refusal counted (the metrics)
    fresh = RateLimiter(_policy("2/minute"), storage)  # the store's own answer at the same moment: the same
    with pytest.raises(RateLimited) as store_says:
        await fresh.hit(limit, "a")
    assert store_says.value.retry_after == 15
    now[0] = 6060.5  # the slot it named has freed (the last window's two now weigh a little under two)
    assert limiter.refused(limit, "a") is None
    await limiter.hit(limit, "a")
    assert storage.calls > asked + 1
    await limiter.hit(limit, "b")  # other keys were never affected


async def test_refusals_are_logged_once_a_minute_per_key_with_their_count(monkeypatch, caplog):
    now = [6000.0]
    monkeypatch.setattr(time, "time", lambda: now[0])
    limiter = RateLimiter(_policy("1/hour"), storage_for(""))
    limit = Limit.parse("login-ip", "login attempts from your address", "1/hour")
    await limiter.hit(limit, "203.0.113.7")
    with caplog.at_level("INFO", logger="faqbot.security.ratelimit"):
        for _ in range(500):
            with pytest.raises(RateLimited):
                await limiter.hit(limit, "203.0.113.7")
        now[0] += 61
        for _ in range(2):
            with pytest.raises(RateLimited):
                await limiter.hit(limit, "203.0.113.7")
    lines = [r.getMessage() for r in caplog.records if r.name == "faqbot.security.ratelimit"]
    said = "request(s) for address 203.0.113.7 since the last line (at most one line a minute)"
    # the first at once; the other 499 of that minute and the one a minute later in the next line
    assert lines == [f"rate limit login-ip refused 1 {said}", f"rate limit login-ip refused 500 {said}"]


def test_the_per_address_429_is_made_before_the_app_with_every_header_of_an_api_answer(tmp_path):
    """The per-address limits run outermost; their 429 still carries the error body, Retry-After, the security
    headers and the request id (the one nginx sent, or a new one), and is counted in /metrics."""
    with make_client(tmp_path, rate_conversations_per_ip="2/minute") as client:
        reference = client.post("/api/conversations").headers
        client.post("/api/conversations")
        refused = [client.post("/api/conversations", json={"page_url": "x"}, headers={"X-Request-ID": "nginx-id-1"}),
                   client.post("/api/conversations")]
        for response in refused:
            assert_429(response)
            assert set(response.json()) == {"error"} and set(response.json()["error"]) == {"code", "message"}
            assert response.headers["content-type"] == "application/json"
            for name in ("content-security-policy", "x-frame-options", "x-content-type-options", "referrer-policy"):
                assert response.headers[name] == reference[name], name
        assert refused[0].headers["x-request-id"] == "nginx-id-1"
        minted = refused[1].headers["x-request-id"]
        assert len(minted) == 32 and minted != client.post("/api/conversations").headers["x-request-id"]
        metrics = client.get("/metrics").text
        assert 'faqbot_rate_limited_total{limit="conversations-ip"} 3.0' in metrics

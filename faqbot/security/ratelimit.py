"""Rate limits and quotas, through the `limits` library: in memory, or in Redis when FAQBOT_REDIS_URL is set.

Every limit is a list of `limits` items ("20/minute;200/hour") over a moving window, keyed by what is
limited (a client IP, a conversation, a login name). Going over one raises `RateLimited`, which the API
turns into 429 with `Retry-After`. Failed logins also back off per login name: after a few free
failures each further one locks the name for twice as long as the one before (capped), whether or not
an account by that name exists, so the lock tells nothing about which names are real.

A refusal is remembered in this process until the window that refused it next frees a slot (limits' own
reset time), and a flood's further requests are refused from that memory without asking the store (Redis:
two round trips each), counted (`on_refusal`, the metrics) and logged at most once a minute per key.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from limits import RateLimitItem, parse_many
from limits.aio.storage import Storage
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from limits.storage import storage_from_string
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from faqbot.errors import ServiceError

log = logging.getLogger(__name__)
# what an unreachable limit store raises (redis-py under `limits`, or the socket itself)
LIMIT_STORE_DOWN = (RedisConnectionError, RedisTimeoutError, ConnectionError, OSError)

NAMESPACE = "faqbot"


class RateLimited(ServiceError):
    status_code = 429
    code = "rate_limited"

    def __init__(self, what: str, retry_after: float) -> None:
        self.retry_after = max(1, math.ceil(retry_after))
        super().__init__(f"too many {what}; try again in {self.retry_after} s")
        self.headers = {"Retry-After": str(self.retry_after)}


@dataclass(frozen=True)
class Limit:
    """A named rule: what is counted (for the message) and its windows."""

    name: str
    what: str
    items: tuple[RateLimitItem, ...]

    @classmethod
    def parse(cls, name: str, what: str, spec: str) -> Limit:
        return cls(name, what, tuple(parse_many(spec)) if spec.strip() else ())


@dataclass(frozen=True)
class LimitsPolicy:
    """The service's limits, from settings."""

    login_per_ip: Limit
    conversations_per_ip: Limit
    messages_per_ip: Limit
    messages_per_conversation: Limit
    socket_messages: Limit
    login_free_failures: int = 5
    login_backoff_max_seconds: float = 900.0

    @classmethod
    def from_settings(cls, settings) -> LimitsPolicy:  # faqbot.settings.Settings (not imported: no cycle)
        return cls(
            login_per_ip=Limit.parse("login-ip", "login attempts from your address", settings.rate_login_per_ip),
            conversations_per_ip=Limit.parse("conversations-ip", "new conversations from your address",
                                             settings.rate_conversations_per_ip),
            messages_per_ip=Limit.parse("messages-ip", "messages from your address", settings.rate_messages_per_ip),
            messages_per_conversation=Limit.parse("messages-conversation", "messages in this conversation",
                                                  settings.rate_messages_per_conversation),
            socket_messages=Limit.parse("socket", "events on this connection", settings.rate_socket_messages),
            login_free_failures=settings.login_free_failures,
            login_backoff_max_seconds=settings.login_backoff_max_seconds,
        )


def storage_for(redis_url: str) -> Storage:
    """Redis (shared by every process of the service) when configured, this process's memory otherwise."""
    if redis_url:
        scheme, _, rest = redis_url.partition("://")
        return storage_from_string(f"async+{scheme}://{rest}", implementation="redispy",
                                   key_prefix=f"{NAMESPACE}-limits")
    return storage_from_string("async+memory://")


def _shown_key(limit: Limit, key: str) -> str:
    """What a log line names: the client address for per-address limits; other keys (conversation ids, a
    connection's own id) as they are."""
    return f"address {key}" if limit.name.endswith("-ip") else key


def _name_key(username: str) -> str:
    """Login names are kept in the limit store only as hashes."""
    return hashlib.sha256(username.strip().lower().encode("utf-8", "surrogatepass")).hexdigest()[:32]


class RateLimiter:
    REMEMBERED_MAX = 10_000  # refusals remembered at once (a flood from many addresses: forgotten, asked again)
    LOG_EVERY_SECONDS = 60.0

    def __init__(self, policy: LimitsPolicy, storage: Storage,
                 on_refusal: Callable[[str], None] | None = None) -> None:
        self.policy = policy
        self._storage = storage
        # limits' sliding window counter: two counters per key and window instead of a list of every event (the
        # moving window's in-memory storage re-walked every event list after each hit, ~5 % of the web process's
        # CPU under load; in Redis it ran a binary search over a list in Lua per hit)
        self._windows = SlidingWindowCounterRateLimiter(storage)
        self._on_refusal = on_refusal
        # (limit name, key) -> until when it is refused: the full window's reset time. Refused events are not
        # counted and other processes sharing the store only add events, so nothing frees a slot before then:
        # refusing from here gives the answer the store would have given
        self._refused_until: dict[tuple[str, str], float] = {}
        self._unlogged: dict[tuple[str, str], tuple[int, float]] = {}  # refusals not logged yet, last logged at

    def refused(self, limit: Limit, key: str) -> RateLimited | None:
        """The refusal for `key` if this process already knows its window is full (no I/O, no await)."""
        until = self._refused_until.get((limit.name, key))
        if until is None:
            return None
        now = time.time()
        if now >= until:
            del self._refused_until[(limit.name, key)]
            return None
        self._count_refusal(limit, key, now)
        return RateLimited(limit.what, until - now)

    async def hit(self, limit: Limit, key: str) -> None:
        """Count one event for `key`; RateLimited (and nothing counted) if any window is full.

        If the shared limit store (Redis) cannot be reached, the event is let through and logged: a Redis
        restart must not refuse every customer's message."""
        if (known := self.refused(limit, key)) is not None:
            raise known
        try:
            await self._hit(limit, key)
        except LIMIT_STORE_DOWN as exc:
            log.warning("rate limits unavailable (%s): letting the request through", exc)

    async def _hit(self, limit: Limit, key: str) -> None:
        for item in limit.items:
            if not await self._windows.test(item, limit.name, key):
                stats = await self._windows.get_window_stats(item, limit.name, key)
                now = time.time()
                self._remember(limit, key, stats.reset_time, now)
                self._count_refusal(limit, key, now)
                raise RateLimited(limit.what, stats.reset_time - now)
        for item in limit.items:
            await self._windows.hit(item, limit.name, key)

    def _remember(self, limit: Limit, key: str, until: float, now: float) -> None:
        if until <= now:
            return
        if len(self._refused_until) >= self.REMEMBERED_MAX:
            self._refused_until = {k: t for k, t in self._refused_until.items() if t > now}
            if len(self._refused_until) >= self.REMEMBERED_MAX:
                self._refused_until.clear()
        self._refused_until[(limit.name, key)] = until

    def _count_refusal(self, limit: Limit, key: str, now: float) -> None:
        """Metrics for every refusal; a log line for the first of a key, then at most one a minute with the count
        since the last (a flood must not cost a formatted line per request)."""
        if self._on_refusal is not None:
            self._on_refusal(limit.name)
        count, logged_at = self._unlogged.get((limit.name, key), (0, -self.LOG_EVERY_SECONDS))
        count += 1
        if now - logged_at < self.LOG_EVERY_SECONDS:
            self._unlogged[(limit.name, key)] = (count, logged_at)
            return
        if len(self._unlogged) >= self.REMEMBERED_MAX:
            self._unlogged = {k: v for k, v in self._unlogged.items() if now - v[1] < self.LOG_EVERY_SECONDS}
        self._unlogged[(limit.name, key)] = (0, now)
        log.info("rate limit %s refused %d request(s) for %s since the last line (at most one line a minute)",
                 limit.name, count, _shown_key(limit, key))

    def socket_quota(self) -> SocketQuota:
        """A fresh quota for what one WebSocket client may send."""
        return SocketQuota(self, uuid.uuid4().hex)

    # -- logins: per address (above) and per login name, with backoff --------------------------

    def _lock_key(self, username: str) -> str:
        return f"{NAMESPACE}/login-lock/{_name_key(username)}"

    def _failures_key(self, username: str) -> str:
        return f"{NAMESPACE}/login-failures/{_name_key(username)}"

    async def check_login(self, username: str) -> None:
        """RateLimited while this login name is locked after too many failures."""
        key = self._lock_key(username)
        if await self._storage.get(key) > 0:
            if self._on_refusal is not None:
                self._on_refusal("login-name")
            raise RateLimited("failed logins for this account", await self._storage.get_expiry(key) - time.time())

    async def login_failed(self, username: str) -> None:
        failures = await self._storage.incr(self._failures_key(username), 24 * 3600)
        over = failures - self.policy.login_free_failures
        if over > 0:
            delay = min(2.0 ** (over - 1), self.policy.login_backoff_max_seconds)
            await self._storage.incr(self._lock_key(username), max(1, math.ceil(delay)))

    async def login_succeeded(self, username: str) -> None:
        await self._storage.clear(self._failures_key(username))

    async def aclose(self) -> None:
        close = getattr(self._storage, "aclose", None) or getattr(getattr(self._storage, "bridge", None),
                                                                    "aclose", None)
        if close is not None:
            await close()


class SocketQuota:
    """What one WebSocket connection may send (typing events, pings); over it, events are dropped."""

    MAX_DROPPED = 100  # a client that keeps sending after this many refusals is disconnected

    def __init__(self, limiter: RateLimiter, key: str) -> None:
        self._limiter = limiter
        self._key = key
        self.dropped = 0

    async def spend(self) -> None:
        """RateLimited when the connection is over its limit."""
        try:
            await self._limiter.hit(self._limiter.policy.socket_messages, self._key)
        except RateLimited:
            self.dropped += 1
            raise

    @property
    def exhausted(self) -> bool:
        return self.dropped > self.MAX_DROPPED

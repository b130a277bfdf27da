"""Per-address limits, checked before a request reaches the routes (so a flood costs almost nothing).

New conversations, customer writes and login attempts are counted per client address; a request over
a limit gets 429 with `Retry-After` and the usual error body. Limits per conversation and per login name
are checked in the routes, after authentication (faqbot/api/deps.py, faqbot/api/agent.py).
The address is the connection's (uvicorn puts a trusted proxy's X-Forwarded-For there).

A flood's requests are refused from the limiter's memory of the full window (`RateLimiter.refused`: no store
round trip, no await) with a response whose bytes are mostly made once; the body is not read.
"""

from __future__ import annotations

import itertools
import json
import re
import uuid

from starlette.types import ASGIApp, Receive, Scope, Send

from faqbot import log_format
from faqbot.security.ratelimit import RateLimited

PER_ADDRESS: tuple[tuple[str, re.Pattern[str], str], ...] = (
    ("POST", re.compile(r"^/api/agent/login/?$"), "login_per_ip"),
    ("POST", re.compile(r"^/api/conversations/?$"), "conversations_per_ip"),
    ("POST", re.compile(r"^/api/conversations/[^/]+/(?:messages|ticket|rating)/?$"), "messages_per_ip"),
)
LIMITED_METHODS = frozenset(method for method, _, _ in PER_ADDRESS)


def limit_name_for(method: str, path: str) -> str | None:
    for rule_method, pattern, name in PER_ADDRESS:
        if method == rule_method and pattern.match(path):
            return name
    return None


class PerAddressLimits:
    """Pure ASGI, the outermost middleware: its 429 carries what the inner ones add to every response (the
    security headers, given once as `headers`, and X-Request-ID: the client's or nginx's when it is a plain
    token, else a new one), without their per-request cost."""

    def __init__(self, app: ASGIApp, headers: list[tuple[bytes, bytes]] | None = None) -> None:
        self.app = app
        self._headers = [(b"content-type", b"application/json"), *(headers or [])]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (scope["type"] == "http" and scope["method"] in LIMITED_METHODS
                and (name := limit_name_for(scope["method"], scope["path"]))):
            services = getattr(scope["app"].state, "services", None)
            if services is not None:
                limiter = services.limiter
                limit = getattr(limiter.policy, name)
                address = (scope.get("client") or ("unknown", 0))[0]
                refused = limiter.refused(limit, address)
                if refused is None:
                    try:
                        await limiter.hit(limit, address)
                    except RateLimited as exc:
                        refused = exc
                if refused is not None:
                    await self._too_many(scope, send, refused)
                    return
        await self.app(scope, receive, send)

    async def _too_many(self, scope: Scope, send: Send, exc: RateLimited) -> None:
        """429, `Retry-After` and the service's error body (faqbot.api.errors.error_body's shape)."""
        body = b'{"error": {"code": "rate_limited", "message": %s}}' % json.dumps(exc.message).encode()
        await send({"type": "http.response.start", "status": 429,
                    "headers": [*self._headers, (b"content-length", b"%d" % len(body)),
                                (b"retry-after", b"%d" % exc.retry_after), (b"x-request-id", _request_id(scope))]})
        await send({"type": "http.response.body", "body": body})


_GOOD_ID = re.compile(log_format._GOOD_ID.pattern.encode())  # RequestIds' rule for a client's id
_ID_PREFIX = uuid.uuid4().hex[:20]
_ids = itertools.count()


def _request_id(scope: Scope) -> bytes:
    """The request's id as faqbot.log_format.RequestIds would give it; a new one is this process's random
    prefix and a counter (unique like a uuid4, without a system call per refusal)."""
    for key, value in scope["headers"]:
        if key == b"x-request-id":
            if _GOOD_ID.match(value):
                return value
            break
    return b"%s%012x" % (_ID_PREFIX.encode(), next(_ids))

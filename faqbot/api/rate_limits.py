"""Per-address limits, checked before a request reaches the routes (so a flood costs almost nothing).

New conversations, customer writes and login attempts are counted per client address; a request over
a limit gets 429 with `Retry-After` and the usual error body. Limits per conversation and per login name
are checked in the routes, after authentication (faqbot/api/deps.py, faqbot/api/agent.py).
The address is the connection's (uvicorn puts a trusted proxy's X-Forwarded-For there).
"""

from __future__ import annotations

import json
import re

from starlette.types import ASGIApp, Receive, Scope, Send

from faqbot.security.ratelimit import RateLimited

PER_ADDRESS: tuple[tuple[str, re.Pattern[str], str], ...] = (
    ("POST", re.compile(r"^/api/agent/login/?$"), "login_per_ip"),
    ("POST", re.compile(r"^/api/conversations/?$"), "conversations_per_ip"),
    ("POST", re.compile(r"^/api/conversations/[^/]+/(?:messages|ticket|rating)/?$"), "messages_per_ip"),
)


def limit_name_for(method: str, path: str) -> str | None:
    for rule_method, pattern, name in PER_ADDRESS:
        if method == rule_method and pattern.match(path):
            return name
    return None


class PerAddressLimits:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and (name := limit_name_for(scope["method"], scope["path"])):
            services = getattr(scope["app"].state, "services", None)
            if services is not None:
                limit = getattr(services.limiter.policy, name)
                address = (scope.get("client") or ("unknown", 0))[0]
                try:
                    await services.limiter.hit(limit, address)
                except RateLimited as exc:
                    await _too_many(send, exc)
                    return
        await self.app(scope, receive, send)


async def _too_many(send: Send, exc: RateLimited) -> None:
    body = json.dumps({"error": {"code": exc.code, "message": exc.message}}).encode()
    await send({"type": "http.response.start", "status": 429,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"retry-after", str(exc.retry_after).encode())]})
    await send({"type": "http.response.body", "body": body})


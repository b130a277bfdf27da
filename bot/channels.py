"""The REST channel, open to the web service only.

Rasa's HTTP API checks its JWT (`--jwt-secret`), but input channels are not covered by it: the stock
`rest` channel takes a message from anyone who can reach the port, including a `text/plain` POST a web
page can send without a CORS preflight. This channel keeps the stock one's URL (`/webhooks/rest/…`) and
protocol and refuses any request that does not carry a JWT signed with the service's secret, or whose body
is not declared as JSON.

Runs inside the Rasa server (its own Python environment); configured in `bot/credentials.yml`.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import jwt
from rasa.core.channels.channel import UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

logger = logging.getLogger(__name__)

JWT_ALGORITHM = "HS256"


def _refusal(status: int, code: str, message: str) -> HTTPResponse:
    return response.json({"error": {"code": code, "message": message}}, status=status)


def authorization_problem(request: Request, secret: str) -> HTTPResponse | None:
    """Why this request may not use the channel (a response to send), or None when it may."""
    if not secret:
        return _refusal(503, "not_configured", "the channel has no secret configured")
    header = request.headers.get("authorization", "")
    if not header.lower().startswith("bearer "):
        return _refusal(401, "not_authenticated", "send 'Authorization: Bearer <JWT>'")
    try:
        claims = jwt.decode(header[7:].strip(), secret, algorithms=[JWT_ALGORITHM],
                            options={"require": ["exp"]})
    except jwt.PyJWTError:
        return _refusal(401, "not_authenticated", "invalid or expired token")
    if (claims.get("user") or {}).get("role") != "admin":
        return _refusal(403, "forbidden", "the token does not allow sending messages")
    if request.method == "POST" and request.content_type.split(";")[0].strip().lower() != "application/json":
        return _refusal(415, "unsupported_media_type", "the body must be application/json")
    return None


class ServiceRestInput(RestInput):
    """`rest`, for callers holding the JWT secret (the web service)."""

    def __init__(self, jwt_secret: str = "") -> None:
        self.jwt_secret = jwt_secret or ""

    @classmethod
    def name(cls) -> str:
        return "rest"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> ServiceRestInput:
        secret = (credentials or {}).get("jwt_secret") or ""
        if not secret:
            logger.error("the rest channel has no jwt_secret: every message will be refused")
        return cls(str(secret))

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[None]]) -> Blueprint:
        webhook = super().blueprint(on_new_message)

        @webhook.middleware("request")
        async def only_the_service(request: Request) -> HTTPResponse | None:
            return authorization_problem(request, self.jwt_secret)

        return webhook

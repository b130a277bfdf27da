"""Request dependencies: the services built at start-up, the customer's conversation, the agent."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request, WebSocket

from faqbot.agents import Agent, AuthenticationFailed
from faqbot.conversations import Conversation
from faqbot.errors import NotAuthenticated
from faqbot.wiring import Services


async def services_of(request: Request) -> Services:
    # async: FastAPI runs a plain function dependency in a worker thread, a thread hop on every request
    return request.app.state.services


ServicesDep = Annotated[Services, Depends(services_of)]


def bearer(authorization: str | None) -> str | None:
    if authorization and authorization.lower().startswith("bearer "):
        return authorization[7:].strip()
    return None


async def current_conversation(
    conversation_id: str,
    services: ServicesDep,
    authorization: Annotated[str | None, Header()] = None,
    x_conversation_token: Annotated[str | None, Header()] = None,
) -> Conversation:
    return await services.chat.authenticate(conversation_id, bearer(authorization) or x_conversation_token)


CustomerConversation = Annotated[Conversation, Depends(current_conversation)]


async def current_agent(services: ServicesDep, authorization: Annotated[str | None, Header()] = None) -> Agent:
    token = bearer(authorization)
    if not token:
        raise NotAuthenticated("log in first: send 'Authorization: Bearer <token>'")
    try:
        return await services.core.agents.agent_for_token(token)
    except AuthenticationFailed as exc:
        raise NotAuthenticated(str(exc)) from exc


CurrentAgent = Annotated[Agent, Depends(current_agent)]


def websocket_services(websocket: WebSocket) -> Services:
    return websocket.app.state.services

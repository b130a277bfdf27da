"""Request dependencies: the services built at start-up, the customer's conversation, the agent."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import Depends, Header, Request, WebSocket

from faqbot.agents import Agent, AuthenticationFailed
from faqbot.conversations import Conversation
from faqbot.errors import AccessDenied, NotAuthenticated
from faqbot.wiring import Services
from storage import utcnow


async def services_of(request: Request) -> Services:
    # async: FastAPI runs a plain function dependency in a worker thread, a thread hop on every request
    return request.app.state.services


ServicesDep = Annotated[Services, Depends(services_of)]


def bearer(authorization: str | None) -> str | None:
    if authorization and authorization.lower().startswith("bearer "):
        return authorization[7:].strip()
    return None


async def open_conversation(services: Services, conversation_id: str, token: str | None) -> Conversation:
    """The conversation `token` opens; its token expires FAQBOT_CONVERSATION_IDLE_HOURS after the last message."""
    conversation = await services.chat.authenticate(conversation_id, token)
    idle = dt.timedelta(hours=services.core.settings.conversation_idle_hours)
    if conversation.last_activity_at is not None and utcnow() - conversation.last_activity_at > idle:
        raise NotAuthenticated("this conversation has ended; start a new one", code="conversation_expired")
    return conversation


async def current_conversation(
    conversation_id: str,
    services: ServicesDep,
    authorization: Annotated[str | None, Header()] = None,
    x_conversation_token: Annotated[str | None, Header()] = None,
) -> Conversation:
    return await open_conversation(services, conversation_id, bearer(authorization) or x_conversation_token)


CustomerConversation = Annotated[Conversation, Depends(current_conversation)]


async def conversation_to_write(conversation: CustomerConversation, services: ServicesDep) -> Conversation:
    """The customer's conversation, counting one write against its quota (429 when it is used up)."""
    await services.limiter.hit(services.limiter.policy.messages_per_conversation, conversation.id)
    return conversation


ConversationToWrite = Annotated[Conversation, Depends(conversation_to_write)]


async def current_agent(services: ServicesDep, authorization: Annotated[str | None, Header()] = None) -> Agent:
    token = bearer(authorization)
    if not token:
        raise NotAuthenticated("log in first: send 'Authorization: Bearer <token>'")
    try:
        return await services.core.agents.agent_for_token(token)
    except AuthenticationFailed as exc:
        raise NotAuthenticated(str(exc)) from exc


CurrentAgent = Annotated[Agent, Depends(current_agent)]


def require_roles(*roles: str, action: str = "do this"):
    """A dependency: the logged-in account if it holds one of `roles` (admin holds all), else 403."""

    async def holding_role(agent: CurrentAgent) -> Agent:
        if not agent.has_role(*roles):
            raise AccessDenied(f"only {' or '.join(roles)} accounts can {action}")
        return agent

    holding_role.__name__ = f"require_{'_or_'.join(roles)}"
    return Depends(holding_role)


# the account, checked for a role; every staff route declares one of these (or CurrentAgent for any role)
ConversationAgent = Annotated[Agent, require_roles("agent", action="work on conversations")]
TranscriptReader = Annotated[Agent, require_roles("agent", "supervisor", action="read transcripts")]
EditorAgent = Annotated[Agent, require_roles("editor", action="change the knowledge base")]
SupervisorAgent = Annotated[Agent, require_roles("supervisor", action="see analytics and the team")]
AdminAgent = Annotated[Agent, require_roles("admin", action="manage accounts")]


def session_token(authorization: Annotated[str | None, Header()] = None) -> str:
    """The bearer token of the request (an agent's session; `CurrentAgent` has checked it)."""
    token = bearer(authorization)
    if not token:
        raise NotAuthenticated("log in first: send 'Authorization: Bearer <token>'")
    return token


SessionToken = Annotated[str, Depends(session_token)]


def websocket_services(websocket: WebSocket) -> Services:
    return websocket.app.state.services

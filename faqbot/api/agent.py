"""The agent console's API: log in, presence, the queue, claim, read, reply, transfer, resolve, canned replies."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any, Literal

from fastapi import APIRouter, WebSocket
from pydantic import Field

from faqbot.agents import Agent, AuthenticationFailed, Presence
from faqbot.agents.canned import CannedReplyNotFound
from faqbot.agents.password_policy import MAX_LENGTH, MIN_LENGTH
from faqbot.api.deps import (
    AdminAgent,
    ConversationAgent,
    CurrentAgent,
    ServicesDep,
    SessionToken,
    TranscriptReader,
    websocket_services,
)
from faqbot.api.history import conversation_json
from faqbot.api.live import relay
from faqbot.api.models import RequestModel
from faqbot.api.streams import accepted_replay_start, stream_conversation
from faqbot.conversations import Sender
from faqbot.conversations.hub import AGENTS_TOPIC
from faqbot.errors import AccessDenied, ServiceError
from handoff import HandoffNotFound

router = APIRouter(prefix="/api/agent", tags=["agent"])

SUGGESTIONS = 3


class LoginRequest(RequestModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class PasswordChange(RequestModel):
    current_password: str = Field(min_length=1, max_length=MAX_LENGTH)
    new_password: str = Field(min_length=MIN_LENGTH, max_length=MAX_LENGTH,
                              description="not a common password, not the user name")


class ReplyRequest(RequestModel):
    text: str


class PresenceRequest(RequestModel):
    presence: Presence


class ResolveRequest(RequestModel):
    note: str | None = Field(default=None, max_length=2000, description="what was done, for the record")
    outcome: Literal["resolved", "returned_to_bot"] = "resolved"


class TransferRequest(RequestModel):
    agent_id: str = Field(min_length=1, max_length=64)


class AgentProfile(RequestModel):
    skills: list[str] | None = Field(default=None, description="categories they handle; empty: any")
    languages: list[str] | None = Field(default=None, description="'en', 'zh'; empty: any")
    max_concurrent: int | None = Field(default=None, ge=1, le=50)
    auto_assign: bool | None = None
    display_name: str | None = Field(default=None, max_length=128)


class NewAgent(AgentProfile):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=MIN_LENGTH, max_length=MAX_LENGTH,
                          description="not a common password, not the user name")
    roles: list[Literal["agent", "editor", "supervisor", "admin"]] = Field(
        default=["agent"], min_length=1, max_length=4, description="an account may hold several roles")


class CannedRequest(RequestModel):
    title: str = Field(min_length=1, max_length=120)
    text: str = Field(min_length=1, max_length=2000)
    language: Literal["en", "zh"] | None = None


@router.post("/login")
async def login(body: LoginRequest, services: ServicesDep) -> dict[str, Any]:
    """A session token. Failures back off per login name (429 with Retry-After), known or not."""
    await services.limiter.check_login(body.username)
    try:
        agent, token = await services.core.agents.login(body.username, body.password)
    except AuthenticationFailed:
        await services.limiter.login_failed(body.username)
        raise
    await services.limiter.login_succeeded(body.username)
    return {"token": token, "agent": agent.to_json()}


@router.get("/me")
async def me(agent: CurrentAgent) -> dict[str, Any]:
    return {"agent": agent.to_json()}


@router.post("/logout", status_code=204)
async def logout(agent: CurrentAgent, token: SessionToken, services: ServicesDep) -> None:
    """End this session (its consoles close)."""
    await services.core.agents.logout(token)


@router.put("/me/password")
async def change_password(body: PasswordChange, agent: CurrentAgent, token: SessionToken,
                          services: ServicesDep) -> dict[str, Any]:
    """Change your own password; every other session of yours ends."""
    ended = await services.core.agents.change_password(agent.id, body.current_password, body.new_password,
                                                       keep_token=token)
    return {"other_sessions_ended": ended}


@router.get("/me/sessions")
async def my_sessions(agent: CurrentAgent, token: SessionToken, services: ServicesDep) -> dict[str, Any]:
    """Your live sessions (`current` is this one)."""
    return {"sessions": [s.to_json() for s in await services.core.agents.list_sessions(agent.id, token)]}


@router.delete("/me/sessions/{session_id}", status_code=204)
async def end_my_session(session_id: str, agent: CurrentAgent, services: ServicesDep) -> None:
    """End one of your sessions (e.g. a browser left logged in elsewhere)."""
    if not await services.core.agents.end_session(agent.id, session_id):
        raise ServiceError(f"no session '{session_id}' of yours", code="session_not_found", status_code=404)


@router.delete("/me/sessions")
async def end_my_other_sessions(agent: CurrentAgent, token: SessionToken, services: ServicesDep) -> dict[str, Any]:
    """End every session of yours but this one."""
    return {"ended": await services.core.agents.end_sessions(agent.id, except_token=token)}


@router.put("/me/presence")
async def set_presence(body: PresenceRequest, agent: ConversationAgent, services: ServicesDep) -> dict[str, Any]:
    """Online: takes conversations. Away: keeps theirs, gets no new ones. Offline: theirs go back to the queue."""
    await services.desk.set_presence(agent, body.presence)
    return {"agent": (await services.core.agents.by_id(agent.id)).to_json()}  # type: ignore[union-attr]


@router.patch("/me")
async def update_me(body: AgentProfile, agent: CurrentAgent, services: ServicesDep) -> dict[str, Any]:
    """An agent's own routing preferences (e.g. auto-assignment)."""
    updated = await services.core.agents.update_profile(agent.id, **body.model_dump(exclude_none=True))
    await services.desk.dispatch()
    return {"agent": updated.to_json()}  # type: ignore[union-attr]


@router.get("/team")
async def team(agent: CurrentAgent, services: ServicesDep) -> dict[str, Any]:
    """Every agent with presence and load (for transfers and the admin)."""
    return {"agents": await services.desk.team()}


@router.post("/agents", status_code=201)
async def create_agent(body: NewAgent, agent: AdminAgent, services: ServicesDep) -> dict[str, Any]:
    if await services.core.agents.by_username(body.username.strip()):
        raise ServiceError(f"the username '{body.username}' is taken", code="username_taken", status_code=409)
    created = await services.core.agents.create(
        body.username, body.password, display_name=body.display_name, roles=body.roles, skills=body.skills or (),
        languages=body.languages or (), max_concurrent=body.max_concurrent or 3,
        auto_assign=bool(body.auto_assign))
    return {"agent": created.to_json()}


@router.patch("/agents/{agent_id}")
async def update_agent(agent_id: str, body: AgentProfile, agent: AdminAgent, services: ServicesDep
                       ) -> dict[str, Any]:
    updated = await services.core.agents.update_profile(agent_id, **body.model_dump(exclude_none=True))
    if updated is None:
        raise ServiceError(f"no agent with id '{agent_id}'", code="agent_not_found", status_code=404)
    await services.desk.dispatch()
    return {"agent": updated.to_json()}


@router.get("/handoffs")
async def open_handoffs(agent: TranscriptReader, services: ServicesDep) -> dict[str, Any]:
    """Queued (in queue order), assigned and offline tickets; `offered` marks the ones this agent can take."""
    handoffs = await services.core.handoffs.open_handoffs()
    offered = await services.desk.offered_to(agent, handoffs)
    return {"handoffs": [{**v.to_json(), "offered": v.handoff.id in offered}
                         for v in await services.desk.views(handoffs)],
            "first_reply_target_seconds": services.desk.policy.first_reply_target_seconds}


@router.get("/handoffs/{handoff_id}")
async def handoff_detail(handoff_id: str, agent: TranscriptReader, services: ServicesDep) -> dict[str, Any]:
    """The handoff, the full annotated transcript and the conversation's handoff history."""
    handoff = await services.core.handoffs.get(handoff_id)
    view = await services.desk.view(handoff)
    transcript = await services.chat.history(handoff.conversation_id)
    conversation = await services.core.conversations.get(handoff.conversation_id)
    return {"handoff": view.to_json(), "transcript": [m.to_json() for m in transcript],
            "history": await services.desk.history(handoff.conversation_id),
            "conversation": conversation_json(conversation)}


@router.get("/handoffs/{handoff_id}/suggestions")
async def suggestions(handoff_id: str, agent: ConversationAgent, services: ServicesDep) -> dict[str, Any]:
    """Knowledge-base articles for the customer's latest question, to insert into a reply."""
    handoff = await services.core.handoffs.get(handoff_id)
    messages = await services.chat.history(handoff.conversation_id)
    questions = [m.text for m in messages if m.sender is Sender.CUSTOMER and not m.data.get("payload")
                 and not m.data.get("event")]
    if not questions:
        return {"question": None, "articles": []}
    decision = await services.core.knowledge.decide(questions[-1], handoff.language, k=SUGGESTIONS)
    return {"question": questions[-1],
            "articles": [{"id": h.article.id, "title": h.article.title, "answer": h.article.answer,
                          "category": h.article.category, "language": h.article.language,
                          "score": round(h.score, 3)} for h in decision.hits]}


@router.post("/handoffs/{handoff_id}/claim")
async def claim(handoff_id: str, agent: ConversationAgent, services: ServicesDep) -> dict[str, Any]:
    handoff = await services.desk.claim(handoff_id, agent)
    return {"handoff": (await services.desk.view(handoff)).to_json()}


@router.post("/handoffs/{handoff_id}/messages", status_code=201)
async def reply(handoff_id: str, body: ReplyRequest, agent: ConversationAgent, services: ServicesDep) -> dict[str, Any]:
    message = await services.desk.agent_message(handoff_id, agent, services.chat.validate_text(body.text))
    return {"message": message.to_json()}


@router.post("/handoffs/{handoff_id}/transfer")
async def transfer(handoff_id: str, body: TransferRequest, agent: ConversationAgent, services: ServicesDep
                   ) -> dict[str, Any]:
    handoff = await services.desk.transfer(handoff_id, agent, body.agent_id)
    return {"handoff": (await services.desk.view(handoff)).to_json()}


@router.post("/handoffs/{handoff_id}/requeue")
async def requeue(handoff_id: str, agent: ConversationAgent, services: ServicesDep) -> dict[str, Any]:
    """Put the conversation back in the queue, at its old place."""
    handoff = await services.desk.requeue(handoff_id, agent)
    return {"handoff": (await services.desk.view(handoff)).to_json()}


@router.post("/handoffs/{handoff_id}/resolve")
async def resolve(handoff_id: str, agent: ConversationAgent, services: ServicesDep,
                  body: ResolveRequest | None = None) -> dict[str, Any]:
    """Close the handoff with a note; the bot takes the conversation back and asks for a rating."""
    body = body or ResolveRequest()
    handoff, messages = await services.desk.resolve(handoff_id, agent, body.note, body.outcome)
    return {"handoff": (await services.desk.view(handoff)).to_json(), "messages": [m.to_json() for m in messages]}


@router.get("/canned")
async def canned_replies(agent: ConversationAgent, services: ServicesDep) -> dict[str, Any]:
    return {"replies": [r.to_json() for r in await services.canned.list()]}


@router.post("/canned", status_code=201)
async def save_canned(body: CannedRequest, agent: ConversationAgent, services: ServicesDep) -> dict[str, Any]:
    reply = await services.canned.create(body.title, body.text, body.language, agent.id)
    return {"reply": reply.to_json()}


@router.delete("/canned/{reply_id}", status_code=204)
async def delete_canned(reply_id: str, agent: ConversationAgent, services: ServicesDep) -> None:
    try:
        await services.canned.delete(reply_id)
    except CannedReplyNotFound as exc:
        raise ServiceError(str(exc), code="canned_reply_not_found", status_code=404) from exc


SESSION_CHECK_SECONDS = 5.0


@contextlib.asynccontextmanager
async def _session_watched(websocket: WebSocket, token: str) -> AsyncIterator[None]:
    """While a console is open its session counts as used; when the session ends, the socket closes (4401)."""
    agents = websocket_services(websocket).core.agents

    async def watch() -> None:
        while True:
            await asyncio.sleep(SESSION_CHECK_SECONDS)
            try:
                await agents.agent_for_token(token)
            except AuthenticationFailed:
                with contextlib.suppress(Exception):
                    await websocket.close(code=4401, reason="the session has ended; log in again")
                return

    watcher = asyncio.create_task(watch())
    try:
        yield
    finally:
        watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watcher


async def _socket_agent(websocket: WebSocket, token: str) -> Agent | None:
    """The account behind `token` if it may watch conversations (agent or supervisor); else the socket is closed."""
    try:
        agent = await websocket_services(websocket).core.agents.agent_for_token(token)
    except AuthenticationFailed:
        await websocket.close(code=4401, reason="log in first")
        return None
    if not agent.has_role("agent", "supervisor"):
        await websocket.close(code=4403, reason="only agents and supervisors can watch conversations")
        return None
    return agent


@router.websocket("/events")
async def agent_events(websocket: WebSocket, token: str = "") -> None:
    """Live queue changes, presence and messages of handed-off conversations.

    Open = the agent is present; a supervisor (without the agent role) watches without going online."""
    services = websocket_services(websocket)
    agent = await _socket_agent(websocket, token)
    if agent is None:
        return
    await websocket.accept()
    takes_conversations = agent.has_role("agent")
    async with _session_watched(websocket, token), services.hub.subscribe(AGENTS_TOPIC) as subscription:
        if takes_conversations:
            await services.desk.console_connected(agent)
        try:
            await relay(websocket, subscription, _console_event, quota=services.limiter.socket_quota())
        finally:
            if takes_conversations:
                await services.desk.console_disconnected(agent)


async def _console_event(event: dict[str, Any]) -> list[dict[str, Any]]:
    """Events for the console as they are; after a `resync` (the link between processes was down, events may
    be missing) a queue change, on which the console reloads the queue."""
    if event.get("type") == "resync":
        return [{"type": "handoff", "resync": True}]
    return [event]


@router.websocket("/handoffs/{handoff_id}/events")
async def conversation_events(websocket: WebSocket, handoff_id: str, token: str = "", after: int = 0) -> None:
    """One conversation live, as the customer sees it: replay after `after`, then stream; typing both ways."""
    services = websocket_services(websocket)
    if not await accepted_replay_start(websocket, after):
        return
    agent = await _socket_agent(websocket, token)
    if agent is None:
        return
    try:
        handoff = await services.core.handoffs.get(handoff_id)
    except HandoffNotFound:
        await websocket.close(code=4404, reason="unknown handoff")
        return
    await websocket.accept()

    async def on_client_event(event: dict[str, Any]) -> None:
        if event.get("type") == "typing" and agent.has_role("agent"):
            services.desk.typing(handoff.conversation_id, Sender.AGENT, agent.display_name)

    async with _session_watched(websocket, token):
        await stream_conversation(websocket, services, handoff.conversation_id, max(after, 0), Sender.AGENT,
                                  on_client_event)

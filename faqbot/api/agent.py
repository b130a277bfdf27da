"""The agent console's API: log in, own sessions, presence, the queue, claim, read, reply, transfer, resolve.

Accounts, the team view and canned replies are in `faqbot.api.team`."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, WebSocket
from pydantic import BaseModel, Field

from faqbot.agents import Agent, AuthenticationFailed, Presence
from faqbot.agents.password_policy import MAX_LENGTH, MIN_LENGTH
from faqbot.api.contract import BODY, STAFF, STAFF_ROLE, errors
from faqbot.api.deps import (
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
from faqbot.api.responses import (
    AgentOut,
    AgentResult,
    ConversationOut,
    HandoffEventOut,
    HandoffOut,
    HandoffResult,
    MessageOut,
    MessageResult,
    Timestamp,
)
from faqbot.api.streams import accepted_replay_start, stream_conversation
from faqbot.conversations import Sender
from faqbot.conversations.hub import AGENTS_TOPIC, account_topic
from faqbot.db_outage import is_database_unavailable
from faqbot.errors import ServiceError
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
    text: str = Field(min_length=1, pattern=r"\S", description="to the customer (over FAQBOT_MAX_MESSAGE_CHARS: 413)")


class PresenceRequest(RequestModel):
    presence: Presence


class ResolveRequest(RequestModel):
    note: str | None = Field(default=None, max_length=2000, description="what was done, for the record")
    outcome: Literal["resolved", "returned_to_bot"] = "resolved"


class TransferRequest(RequestModel):
    agent_id: str = Field(min_length=1, max_length=64)


HandoffPath = Annotated[str, Path(max_length=64)]


class LoginResponse(BaseModel):
    token: str = Field(description="the session: `Authorization: Bearer <token>`")
    agent: AgentOut


class PasswordChanged(BaseModel):
    other_sessions_ended: int = Field(ge=0)


class SessionOut(BaseModel):
    id: str
    created_at: Timestamp | None
    last_seen_at: Timestamp | None
    expires_at: Timestamp
    current: bool = Field(description="the session of this request")


class SessionsResponse(BaseModel):
    sessions: list[SessionOut]


class SessionsEnded(BaseModel):
    ended: int = Field(ge=0)


class QueuedHandoff(HandoffOut):
    offered: bool = Field(description="this agent can take it")


class HandoffsResponse(BaseModel):
    handoffs: list[QueuedHandoff]
    first_reply_target_seconds: float


class HandoffDetail(BaseModel):
    handoff: HandoffOut
    transcript: list[MessageOut]
    history: list[HandoffEventOut]
    conversation: ConversationOut


class Suggestion(BaseModel):
    id: str
    title: str
    answer: str
    category: str
    language: str
    score: float


class SuggestionsResponse(BaseModel):
    question: str | None = Field(description="the customer's latest question")
    articles: list[Suggestion]


class Resolved(HandoffResult):
    messages: list[MessageOut]


@router.post("/login", response_model=LoginResponse, responses=errors(BODY, 401, 429))
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


@router.get("/me", response_model=AgentResult, responses=errors(STAFF))
async def me(agent: CurrentAgent) -> dict[str, Any]:
    return {"agent": agent.to_json()}


@router.post("/logout", status_code=204, responses=errors(STAFF))
async def logout(agent: CurrentAgent, token: SessionToken, services: ServicesDep) -> None:
    """End this session (its consoles close)."""
    await services.core.agents.logout(token)
    services.hub.publish(account_topic(agent.id), {"type": "sessions_ended"})


@router.put("/me/password", response_model=PasswordChanged, responses=errors(STAFF, BODY))
async def change_password(body: PasswordChange, agent: CurrentAgent, token: SessionToken,
                          services: ServicesDep) -> dict[str, Any]:
    """Change your own password; every other session of yours ends."""
    ended = await services.core.agents.change_password(agent.id, body.current_password, body.new_password,
                                                       keep_token=token)
    services.hub.publish(account_topic(agent.id), {"type": "sessions_ended"})
    return {"other_sessions_ended": ended}


@router.get("/me/sessions", response_model=SessionsResponse, responses=errors(STAFF))
async def my_sessions(agent: CurrentAgent, token: SessionToken, services: ServicesDep) -> dict[str, Any]:
    """Your live sessions (`current` is this one)."""
    return {"sessions": [s.to_json() for s in await services.core.agents.list_sessions(agent.id, token)]}


@router.delete("/me/sessions/{session_id}", status_code=204, responses=errors(STAFF, 404, 422))
async def end_my_session(session_id: Annotated[str, Path(max_length=64)], agent: CurrentAgent,
                         services: ServicesDep) -> None:
    """End one of your sessions (e.g. a browser left logged in elsewhere)."""
    if not await services.core.agents.end_session(agent.id, session_id):
        raise ServiceError(f"no session '{session_id}' of yours", code="session_not_found", status_code=404)
    services.hub.publish(account_topic(agent.id), {"type": "sessions_ended"})


@router.delete("/me/sessions", response_model=SessionsEnded, responses=errors(STAFF))
async def end_my_other_sessions(agent: CurrentAgent, token: SessionToken, services: ServicesDep) -> dict[str, Any]:
    """End every session of yours but this one."""
    ended = await services.core.agents.end_sessions(agent.id, except_token=token)
    services.hub.publish(account_topic(agent.id), {"type": "sessions_ended"})
    return {"ended": ended}


@router.put("/me/presence", response_model=AgentResult, responses=errors(STAFF_ROLE, BODY))
async def set_presence(body: PresenceRequest, agent: ConversationAgent, services: ServicesDep) -> dict[str, Any]:
    """Online: takes conversations. Away: keeps theirs, gets no new ones. Offline: theirs go back to the queue."""
    await services.desk.set_presence(agent, body.presence)
    return {"agent": (await services.core.agents.by_id(agent.id)).to_json()}  # type: ignore[union-attr]


@router.get("/handoffs", response_model=HandoffsResponse, responses=errors(STAFF_ROLE))
async def open_handoffs(agent: TranscriptReader, services: ServicesDep) -> dict[str, Any]:
    """Queued (in queue order), assigned and offline tickets; `offered` marks the ones this agent can take."""
    handoffs = await services.core.handoffs.open_handoffs()
    offered = await services.desk.offered_to(agent, handoffs)
    return {"handoffs": [{**v.to_json(), "offered": v.handoff.id in offered}
                         for v in await services.desk.views(handoffs)],
            "first_reply_target_seconds": services.desk.policy.first_reply_target_seconds}


@router.get("/handoffs/{handoff_id}", response_model=HandoffDetail, responses=errors(STAFF_ROLE, 404, 422))
async def handoff_detail(handoff_id: HandoffPath, agent: TranscriptReader, services: ServicesDep) -> dict[str, Any]:
    """The handoff, the full annotated transcript and the conversation's handoff history."""
    handoff = await services.core.handoffs.get(handoff_id)
    view = await services.desk.view(handoff)
    transcript = await services.chat.history(handoff.conversation_id)
    conversation = await services.core.conversations.get(handoff.conversation_id)
    return {"handoff": view.to_json(), "transcript": [m.to_json() for m in transcript],
            "history": await services.desk.history(handoff.conversation_id),
            "conversation": conversation_json(conversation)}


@router.get("/handoffs/{handoff_id}/suggestions", response_model=SuggestionsResponse,
            responses=errors(STAFF_ROLE, 404, 422))
async def suggestions(handoff_id: HandoffPath, agent: ConversationAgent, services: ServicesDep) -> dict[str, Any]:
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


@router.post("/handoffs/{handoff_id}/claim", response_model=HandoffResult, responses=errors(STAFF_ROLE, 404, 409, 422))
async def claim(handoff_id: HandoffPath, agent: ConversationAgent, services: ServicesDep) -> dict[str, Any]:
    handoff = await services.desk.claim(handoff_id, agent)
    return {"handoff": (await services.desk.view(handoff)).to_json()}


@router.post("/handoffs/{handoff_id}/messages", status_code=201, response_model=MessageResult,
             responses=errors(STAFF_ROLE, BODY, 404, 409))
async def reply(handoff_id: HandoffPath, body: ReplyRequest, agent: ConversationAgent, services: ServicesDep
                ) -> dict[str, Any]:
    message = await services.desk.agent_message(handoff_id, agent, services.chat.validate_text(body.text))
    return {"message": message.to_json()}


@router.post("/handoffs/{handoff_id}/transfer", response_model=HandoffResult,
             responses=errors(STAFF_ROLE, BODY, 404, 409))
async def transfer(handoff_id: HandoffPath, body: TransferRequest, agent: ConversationAgent, services: ServicesDep
                   ) -> dict[str, Any]:
    handoff = await services.desk.transfer(handoff_id, agent, body.agent_id)
    return {"handoff": (await services.desk.view(handoff)).to_json()}


@router.post("/handoffs/{handoff_id}/requeue", response_model=HandoffResult,
             responses=errors(STAFF_ROLE, 404, 409, 422))
async def requeue(handoff_id: HandoffPath, agent: ConversationAgent, services: ServicesDep) -> dict[str, Any]:
    """Put the conversation back in the queue, at its old place."""
    handoff = await services.desk.requeue(handoff_id, agent)
    return {"handoff": (await services.desk.view(handoff)).to_json()}


@router.post("/handoffs/{handoff_id}/resolve", response_model=Resolved, responses=errors(STAFF_ROLE, BODY, 404, 409))
async def resolve(handoff_id: HandoffPath, agent: ConversationAgent, services: ServicesDep,
                  body: ResolveRequest | None = None) -> dict[str, Any]:
    """Close the handoff with a note; the bot takes the conversation back and asks for a rating."""
    body = body or ResolveRequest()
    handoff, messages = await services.desk.resolve(handoff_id, agent, body.note, body.outcome)
    return {"handoff": (await services.desk.view(handoff)).to_json(), "messages": [m.to_json() for m in messages]}


SESSION_CHECK_SECONDS = 5.0


@contextlib.asynccontextmanager
async def _session_watched(websocket: WebSocket, agent: Agent, token: str) -> AsyncIterator[None]:
    """While a console is open its session counts as used; when the session ends, the socket closes (4401), and
    when the account loses the roles that watch conversations, too (4403): at once when this process makes the
    change (deactivation, a password reset, logout, a role change), else within SESSION_CHECK_SECONDS."""
    services = websocket_services(websocket)
    agents = services.core.agents
    handler = asyncio.current_task()
    ended_by_us = False

    async def watch(ended) -> None:
        nonlocal ended_by_us
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(SESSION_CHECK_SECONDS):
                    await ended.get()
            code, reason = 0, ""
            try:
                now = await agents.agent_for_token(token)
                if not now.has_role("agent", "supervisor"):  # its roles changed while the console was open
                    code, reason = 4403, "this account no longer watches conversations"
            except AuthenticationFailed:
                code, reason = 4401, "the session has ended; log in again"
            except Exception as exc:  # the database out of reach: the console stays open, checked again later
                if not is_database_unavailable(exc):
                    raise
                continue
            if code:
                ended_by_us = True
                with contextlib.suppress(Exception):
                    await websocket.close(code=code, reason=reason)
                if handler is not None:
                    handler.cancel()  # stop sending on the closed socket
                return

    async with services.hub.subscribe(account_topic(agent.id)) as ended:
        watcher = asyncio.create_task(watch(ended))
        try:
            yield
        except asyncio.CancelledError:
            if not ended_by_us or handler is None:
                raise
            handler.uncancel()
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
    async with _session_watched(websocket, agent, token), services.hub.subscribe(AGENTS_TOPIC) as subscription:
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

    async with _session_watched(websocket, agent, token):
        await stream_conversation(websocket, services, handoff.conversation_id, max(after, 0), Sender.AGENT,
                                  on_client_event)

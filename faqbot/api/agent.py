"""The agent console's API: log in, see the queue, claim, read, reply, resolve."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, WebSocket
from pydantic import BaseModel, Field

from faqbot.agents import Agent, AuthenticationFailed
from faqbot.api.deps import CurrentAgent, ServicesDep, websocket_services
from faqbot.api.live import relay
from faqbot.conversations.hub import AGENTS_TOPIC

router = APIRouter(prefix="/api/agent", tags=["agent"])


class LoginRequest(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class ReplyRequest(BaseModel):
    text: str


def _agent_json(agent: Agent) -> dict[str, str]:
    return {"id": agent.id, "username": agent.username, "display_name": agent.display_name, "role": agent.role}


@router.post("/login")
async def login(body: LoginRequest, services: ServicesDep) -> dict[str, Any]:
    agent, token = await services.core.agents.login(body.username, body.password)
    return {"token": token, "agent": _agent_json(agent)}


@router.get("/me")
async def me(agent: CurrentAgent) -> dict[str, Any]:
    return {"agent": _agent_json(agent)}


@router.get("/handoffs")
async def open_handoffs(agent: CurrentAgent, services: ServicesDep) -> dict[str, Any]:
    """Queued and assigned handoffs, oldest first."""
    return {"handoffs": [v.to_json() for v in await services.chat.open_handoffs()]}


@router.get("/handoffs/{handoff_id}")
async def handoff_detail(handoff_id: str, agent: CurrentAgent, services: ServicesDep) -> dict[str, Any]:
    """The handoff with the full transcript: every turn, with the bot's intent, confidence and article."""
    view = await services.chat.handoff_view(handoff_id)
    transcript = await services.chat.transcript(handoff_id)
    return {"handoff": view.to_json(), "transcript": [m.to_json() for m in transcript]}


@router.post("/handoffs/{handoff_id}/claim")
async def claim(handoff_id: str, agent: CurrentAgent, services: ServicesDep) -> dict[str, Any]:
    await services.chat.claim(handoff_id, agent)
    return {"handoff": (await services.chat.handoff_view(handoff_id)).to_json()}


@router.post("/handoffs/{handoff_id}/messages", status_code=201)
async def reply(handoff_id: str, body: ReplyRequest, agent: CurrentAgent, services: ServicesDep) -> dict[str, Any]:
    message = await services.chat.agent_message(handoff_id, agent, body.text)
    return {"message": message.to_json()}


@router.post("/handoffs/{handoff_id}/resolve")
async def resolve(handoff_id: str, agent: CurrentAgent, services: ServicesDep) -> dict[str, Any]:
    """Close the handoff; the bot takes the conversation back and greets the customer."""
    _, messages = await services.chat.resolve(handoff_id, agent)
    return {"handoff": (await services.chat.handoff_view(handoff_id)).to_json(),
            "messages": [m.to_json() for m in messages]}


@router.websocket("/events")
async def agent_events(websocket: WebSocket, token: str = "") -> None:
    """Live queue changes and messages of handed-off conversations."""
    services = websocket_services(websocket)
    try:
        await services.core.agents.agent_for_token(token)
    except AuthenticationFailed:
        await websocket.close(code=4401, reason="log in first")
        return
    await websocket.accept()
    async with services.hub.subscribe(AGENTS_TOPIC) as subscription:
        await relay(websocket, subscription)

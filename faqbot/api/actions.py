"""Rasa's action server protocol, served from this process (so the knowledge base lives in one place)."""

from __future__ import annotations

import json
import time
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from fastapi.security import APIKeyQuery
from pydantic import BaseModel, ConfigDict, Field
from rasa_sdk.interfaces import ActionExecutionRejection, ActionNotFoundException

from faqbot.api.contract import ErrorResponse, errors
from faqbot.api.deps import ServicesDep
from faqbot.api.errors import error_body
from faqbot.security.compare import same_secret

router = APIRouter(prefix="/actions", tags=["rasa actions"])

action_token = APIKeyQuery(name="token", auto_error=False, scheme_name="ActionToken",
                           description="FAQBOT_ACTION_TOKEN (Rasa's endpoints.yml puts it in the action URL)")


class ActionHealth(BaseModel):
    status: Literal["ok"]


class RegisteredAction(BaseModel):
    name: str


class ActionCall(BaseModel):
    """Rasa's action call (its action server protocol); other keys Rasa sends are accepted."""

    model_config = ConfigDict(extra="allow")

    next_action: str
    sender_id: str | None = None
    tracker: dict[str, Any]
    domain: dict[str, Any] | None = None


class ActionResult(BaseModel):
    events: list[dict[str, Any]]
    responses: list[dict[str, Any]]


class ActionError(ErrorResponse):
    """The error body; with `action_name` when the action refused (400, as Rasa expects) or is unknown (404)."""

    action_name: str | None = Field(default=None, description="the action Rasa asked for")


@router.get("/health", response_model=ActionHealth)
async def health() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/actions", response_model=list[RegisteredAction])
async def registered(services: ServicesDep) -> list[dict[str, str]]:
    return [{"name": name} for name in services.actions.actions]


@router.post("/webhook", response_model=ActionResult, openapi_extra={"requestBody": {
    "required": True, "content": {"application/json": {"schema": ActionCall.model_json_schema()}}}},
    responses={**errors(401, 413, 422), 400: {"model": ActionError, "description": "malformed, or the action refused"},
               404: {"model": ActionError, "description": "no such action, or a conversation the service never "
                                                          "started"}})
async def webhook(request: Request, services: ServicesDep,
                  token: Annotated[str | None, Depends(action_token)] = None) -> JSONResponse:
    """Run one custom action for Rasa: {next_action, tracker, domain} -> {events, responses}."""
    if not same_secret(token or "", services.core.settings.action_token):  # required in every mode
        return JSONResponse(error_body("not_authenticated", "wrong or missing action token"), status_code=401)
    try:
        action_call: Any = json.loads(await request.body())
    except ValueError:
        return JSONResponse(error_body("malformed_json", "the request body is not valid JSON"), status_code=400)
    if not isinstance(action_call, dict) or not isinstance(action_call.get("tracker"), dict):
        return JSONResponse(error_body("invalid_request", "expected an action call with a 'tracker'"),
                            status_code=422)
    sender_id = action_call.get("sender_id") or action_call["tracker"].get("sender_id")
    if not isinstance(sender_id, str) or not await services.core.conversations.exists(sender_id):
        # a conversation the service never started: nothing may be done for it (e.g. a handoff)
        return JSONResponse(error_body("conversation_not_found", "no conversation with this sender id"),
                            status_code=404)
    started = time.perf_counter()
    try:
        result = await services.actions.run(action_call)
    except ActionExecutionRejection as exc:
        return JSONResponse({**error_body("action_rejected", exc.message), "action_name": exc.action_name},
                            status_code=400)
    except ActionNotFoundException as exc:
        return JSONResponse({**error_body("action_not_found", exc.message), "action_name": exc.action_name},
                            status_code=404)
    services.metrics.stage("actions", time.perf_counter() - started)
    return JSONResponse(result or {"events": [], "responses": []})

"""Rasa's action server protocol, served from this process (so the knowledge base lives in one place)."""

from __future__ import annotations

import json
import time
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from rasa_sdk.interfaces import ActionExecutionRejection, ActionNotFoundException

from faqbot.api.deps import ServicesDep
from faqbot.api.errors import error_body
from faqbot.security.compare import same_secret

router = APIRouter(prefix="/actions", tags=["rasa actions"])


@router.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/actions")
async def registered(services: ServicesDep) -> list[dict[str, str]]:
    return [{"name": name} for name in services.actions.actions]


@router.post("/webhook")
async def webhook(request: Request, services: ServicesDep, token: str = "") -> JSONResponse:
    """Run one custom action for Rasa: {next_action, tracker, domain} -> {events, responses}."""
    if not same_secret(token, services.core.settings.action_token):  # required in every mode
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
        return JSONResponse({"error": exc.message, "action_name": exc.action_name}, status_code=400)
    except ActionNotFoundException as exc:
        return JSONResponse({"error": exc.message, "action_name": exc.action_name}, status_code=404)
    services.metrics.stage("actions", time.perf_counter() - started)
    return JSONResponse(result or {"events": [], "responses": []})

"""Every error becomes the same JSON shape: {"error": {"code": ..., "message": ...}}."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from faqbot.agents import AccountDeactivated, AuthenticationFailed, WeakPassword
from faqbot.conversations import ConversationNotFound
from faqbot.errors import ServiceError
from handoff import HandoffNotFound, InvalidHandoffTransition
from knowledge_base.errors import ArticleConflict, ArticleFormatError, ArticleNotFound

log = logging.getLogger(__name__)

HTTP_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        body["details"] = details
    return {"error": body}


def _json(status: int, code: str, message: str, details: Any = None) -> JSONResponse:
    return JSONResponse(error_body(code, message, details), status_code=status)


# errors of the inner packages, and what they mean over HTTP
DOMAIN_ERRORS: dict[type[Exception], tuple[int, str]] = {
    ConversationNotFound: (404, "conversation_not_found"),
    HandoffNotFound: (404, "handoff_not_found"),
    InvalidHandoffTransition: (409, "invalid_handoff_state"),
    AuthenticationFailed: (401, "not_authenticated"),
    AccountDeactivated: (403, "account_deactivated"),  # said only to someone who gave the right password
    WeakPassword: (422, "weak_password"),
    ArticleNotFound: (404, "article_not_found"),
    ArticleConflict: (409, "version_conflict"),
    ArticleFormatError: (422, "invalid_article"),
}


def _domain_handler(status: int, code: str):
    async def handle(_: Request, exc: Exception) -> JSONResponse:
        return _json(status, code, str(exc))

    return handle


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ServiceError)
    async def _service(_: Request, exc: ServiceError) -> JSONResponse:
        response = _json(exc.status_code, exc.code, exc.message)
        if exc.headers:
            response.headers.update(exc.headers)
        return response

    for exc_type, (status, code) in DOMAIN_ERRORS.items():
        app.add_exception_handler(exc_type, _domain_handler(status, code))

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        if any(e.get("type") == "json_invalid" for e in errors):
            return _json(400, "malformed_json", "the request body is not valid JSON")
        details = [
            {"field": ".".join(str(p) for p in e.get("loc", ()) if p != "body"), "problem": e.get("msg")}
            for e in errors
        ]
        summary = "; ".join(f"{d['field'] or 'body'}: {d['problem']}" for d in details)
        return _json(422, "invalid_request", summary, details)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed", 413: "request_too_large"}.get(exc.status_code,
                                                                                             "http_error")
        response = _json(exc.status_code, code, str(exc.detail))
        if exc.headers:  # e.g. 405's Allow
            response.headers.update(exc.headers)
        if exc.status_code == 405 and (allowed := allowed_methods(request)):
            response.headers["Allow"] = ", ".join(allowed)
        return response

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return _json(500, "internal_error", "something went wrong on our side; nothing you sent was lost")


def allowed_methods(request: Request) -> list[str]:
    """Every method some route serves at this path (Starlette's 405 names only the first matching route's)."""
    routes = request.app.router.routes
    return [method for method in HTTP_METHODS
            if any(route.matches({**request.scope, "method": method})[0] is Match.FULL for route in routes)]

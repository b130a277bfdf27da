"""Every error becomes the same JSON shape: {"error": {"code": ..., "message": ...}}."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request, WebSocket
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match
from starlette.websockets import WebSocketState

from faqbot.agents import AccountDeactivated, AuthenticationFailed, WeakPassword
from faqbot.conversations import ConversationNotFound
from faqbot.db_outage import RETRY_AFTER_SECONDS, is_database_unavailable
from faqbot.errors import DatabaseUnavailable, ServiceError
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


def service_error_response(exc: ServiceError) -> JSONResponse:
    response = _json(exc.status_code, exc.code, exc.message)
    if exc.headers:
        response.headers.update(exc.headers)
    return response


# a WebSocket refused for a reason that passes: 1013 "try again later"
WS_TRY_AGAIN_LATER = 1013


async def _refuse_socket(websocket: WebSocket, exc: ServiceError) -> None:
    """Before the handshake: the HTTP error itself (503 + Retry-After + the error body), where the server can
    send one; after it (or where it cannot): close with 1013 and the message, so the client reconnects later."""
    if websocket.client_state is WebSocketState.CONNECTING:
        try:
            await websocket.send_denial_response(service_error_response(exc))
            return
        except RuntimeError:  # the server cannot send an HTTP answer to a WebSocket handshake
            await websocket.accept()
    if websocket.client_state is WebSocketState.CONNECTED:
        await websocket.close(code=WS_TRY_AGAIN_LATER, reason=exc.code)


def _database_error(connection: Request | WebSocket, exc: Exception) -> DatabaseUnavailable | None:
    """The 503 for an error that says the database is out of reach (logged in one line, no stack trace: it is
    the server's state, not a bug), or None."""
    if not is_database_unavailable(exc):
        return None
    log.warning("database unavailable on %s %s (at %s): %s: %s", getattr(connection, "method", "WEBSOCKET"),
                connection.url.path, _where(exc), exc.__class__.__name__,
                str(exc).splitlines()[0][:200] if str(exc) else "")
    return DatabaseUnavailable(retry_after_seconds=RETRY_AFTER_SECONDS)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ServiceError)
    async def _service(connection: Request | WebSocket, exc: ServiceError) -> JSONResponse | None:
        if isinstance(connection, WebSocket):
            await _refuse_socket(connection, exc)
            return None
        return service_error_response(exc)

    async def _driver(connection: Request | WebSocket, exc: Exception) -> JSONResponse | None:
        """Errors of the database driver, in one place: the database out of reach is 503 with Retry-After (HTTP)
        or a refused / closed socket (WebSocket); any other is an internal error, as before."""
        unavailable = _database_error(connection, exc)
        if unavailable is not None:
            return await _service(connection, unavailable)
        if isinstance(connection, WebSocket):
            raise exc
        return await _unexpected(connection, exc)

    for exc_type in (SQLAlchemyError, OSError, *_driver_errors()):
        app.add_exception_handler(exc_type, _driver)

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


def _where(exc: BaseException) -> str:
    """The product's innermost line the error passed through (module:line), for the log instead of a trace."""
    where, tb = "?", exc.__traceback__
    while tb is not None:
        module = tb.tb_frame.f_globals.get("__name__", "")
        if module.split(".")[0] in ("faqbot", "handoff", "knowledge_base", "privacy", "frustration"):
            where = f"{module}:{tb.tb_lineno}"
        tb = tb.tb_next
    return where


def _driver_errors() -> tuple[type[Exception], ...]:
    """asyncpg's own exceptions (raised as they are by a few code paths, e.g. a connect)."""
    try:
        import asyncpg
    except ImportError:  # SQLite only
        return ()
    return (asyncpg.PostgresError, asyncpg.InterfaceError)


def allowed_methods(request: Request) -> list[str]:
    """Every method some route serves at this path (Starlette's 405 names only the first matching route's)."""
    routes = request.app.router.routes
    return [method for method in HTTP_METHODS
            if any(route.matches({**request.scope, "method": method})[0] is Match.FULL for route in routes)]

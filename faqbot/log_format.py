"""Log lines of every faqbot process as text (default) or one JSON object per line (`FAQBOT_LOG_FORMAT=json`).

A JSON line carries the time, level, logger, message, the process (`process`: its name, e.g. `web-2` or
`rasa-1`, from FAQBOT_PROCESS_NAME, and `pid`), and the ids of what it was about: `request_id` (the
`X-Request-ID` nginx sends, or one made here, and returned in the response) and `conversation_id` (from the
URL of the request, or `extra={"conversation_id": …}`). The uvicorn child's own loggers (errors, access lines)
get the same format. Personal data is masked before any handler writes (privacy.logs).
"""

from __future__ import annotations

import contextvars
import datetime as dt
import json
import logging
import os
import re
import uuid
from typing import Any

from privacy import logs as privacy_logs

FORMATS = ("text", "json")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
PROCESS_NAME_ENV = "FAQBOT_PROCESS_NAME"
UVICORN_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access")
QUIET_LOGGERS = ("httpx", "httpcore")

request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
conversation_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("conversation_id", default=None)

_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName"}


class JsonFormatter(logging.Formatter):
    def __init__(self, process_name: str | None = None) -> None:
        super().__init__()
        self._process = process_name or os.environ.get(PROCESS_NAME_ENV) or "faqbot"

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(), "logger": record.name, "message": record.getMessage(),
            "process": self._process, "pid": record.process,
        }
        for key, var in (("request_id", request_id), ("conversation_id", conversation_id)):
            value = getattr(record, key, None) or var.get()
            if value:
                line[key] = value
        for key, value in record.__dict__.items():  # other `extra=` fields
            if key not in _STANDARD and key not in line and not key.startswith("_"):
                line[key] = value if isinstance(value, (str, int, float, bool, type(None))) else str(value)
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["exception"] = record.exc_text
        return json.dumps(line, ensure_ascii=False)


def formatter(fmt: str) -> logging.Formatter:
    if fmt not in FORMATS:
        raise ValueError(f"FAQBOT_LOG_FORMAT={fmt!r}: expected one of {', '.join(FORMATS)}")
    return JsonFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT)


def configure(level: str | int = "INFO", fmt: str = "text") -> None:
    """The root logger writes to stderr in `fmt`; uvicorn's loggers hand their records to it (same format)."""
    root = logging.getLogger()
    chosen = formatter(fmt)
    if not root.handlers:
        root.addHandler(logging.StreamHandler())
    for handler in root.handlers:
        handler.setFormatter(chosen)
    root.setLevel(level)
    for name in UVICORN_LOGGERS:
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
    for name in QUIET_LOGGERS:  # a line per request to Rasa or the model hub is noise
        logging.getLogger(name).setLevel(logging.WARNING)
    privacy_logs.install(level=level)


_CONVERSATION_PATH = re.compile(r"^/api/conversations/([A-Za-z0-9_-]{8,64})(?:/|$)")
_GOOD_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class RequestIds:
    """ASGI middleware: every HTTP request and WebSocket gets a request id (the client's `X-Request-ID` when it
    is a plain token, e.g. nginx's `$request_id`; a new one otherwise), and the conversation id in its URL,
    for every log line written while it is handled. The response carries `X-Request-ID`."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        given = next((v.decode("latin-1") for k, v in scope.get("headers", []) if k == b"x-request-id"), "")
        rid = given if _GOOD_ID.match(given) else uuid.uuid4().hex
        match = _CONVERSATION_PATH.match(scope.get("path", ""))
        tokens = (request_id.set(rid), conversation_id.set(match.group(1) if match else None))

        async def send_with_id(message: dict) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), (b"x-request-id", rid.encode())]}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            request_id.reset(tokens[0])
            conversation_id.reset(tokens[1])

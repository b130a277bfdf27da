"""Errors the web service reports to clients; mapped to HTTP in one place (faqbot.api.errors)."""

from __future__ import annotations


class ServiceError(Exception):
    status_code = 400
    code = "bad_request"
    headers: dict[str, str] | None = None  # sent with the error (e.g. Retry-After)

    def __init__(self, message: str, *, code: str | None = None, status_code: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        if status_code:
            self.status_code = status_code


class InvalidMessage(ServiceError):
    status_code = 422
    code = "invalid_message"


class AccessDenied(ServiceError):
    status_code = 403
    code = "access_denied"


class NotAuthenticated(ServiceError):
    status_code = 401
    code = "not_authenticated"


class StaleButton(ServiceError):
    """A button of an earlier question, pressed after the conversation moved on."""

    status_code = 409
    code = "stale_button"


class DatabaseUnavailable(ServiceError):
    """The database cannot be reached (stopped, restarting): nothing that needs it was done; try again soon."""

    status_code = 503
    code = "database_unavailable"

    def __init__(self, message: str = "the service cannot reach its database right now; nothing you sent was "
                                      "lost or stored twice: try again in a few seconds",
                 retry_after_seconds: int = 5) -> None:
        super().__init__(message)
        self.headers = {"Retry-After": str(retry_after_seconds)}

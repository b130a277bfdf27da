"""The service's one error body as a pydantic model, and `errors(...)` to document a route's error statuses."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class ErrorDetail(BaseModel):
    field: str = Field(description="the request field at fault, dotted ('roles.0'); empty for the whole body")
    problem: str


class ErrorInfo(BaseModel):
    code: str = Field(description="machine-readable, e.g. 'invalid_request', 'access_denied'")
    message: str = Field(description="for people; names the field at fault")
    details: list[ErrorDetail] | None = None


class ErrorResponse(BaseModel):
    error: ErrorInfo


_DESCRIPTIONS = {
    400: "malformed request (e.g. not JSON)",
    401: "not logged in, or the session has ended",
    403: "the account's roles do not allow this",
    404: "no such resource",
    409: "conflicts with the current state",
    413: "request body too large",
    422: "a field is invalid (named in the message and details)",
    429: "too many requests (see Retry-After)",
}


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route: each status with the error body and what it means."""
    return {status: {"model": ErrorResponse, "description": _DESCRIPTIONS.get(status, "error")}
            for status in statuses}


STAFF = (401, 403, 422)  # every staff route: not logged in, wrong role, bad input

"""The API's contract pieces every route shares: the one error body, its documented statuses, the security schemes.

Every route declares (docs/security.md, "An honest OpenAPI"):
- `response_model=` (or a typed return) for its 2xx body;
- `responses=errors(...)` with every error status it can really return, each with `ErrorResponse`
  (429 also documents `Retry-After`);
- its auth dependency (`CustomerConversation`, `CurrentAgent`, `require_roles` …), which brings the security
  scheme below into the OpenAPI document.
`tests/unit/test_openapi_contract.py` walks the document and fails for a route that does not.
"""

from __future__ import annotations

from typing import Any

from fastapi.security import APIKeyHeader, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field

# --- the one error body: {"error": {"code": ..., "message": ..., "details": [...]}} (faqbot/api/errors.py) ---


class ErrorDetail(BaseModel):
    """One problem with the request (422 `invalid_request` lists every one)."""

    field: str = Field(description="the field, dotted (e.g. 'user.email'); empty for the body as a whole")
    problem: str | None = Field(description="what is wrong with it")


class ErrorBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(description="machine-readable, e.g. 'invalid_request', 'rate_limited', 'access_denied'")
    message: str = Field(description="for people: what went wrong and what to do")
    details: list[ErrorDetail] | None = Field(default=None, description="422 `invalid_request` only: each field")


class ErrorResponse(BaseModel):
    """The body of every error response of the service."""

    model_config = ConfigDict(extra="forbid")

    error: ErrorBody


_DESCRIPTIONS = {
    400: "Malformed request (e.g. the body is not valid JSON: `malformed_json`)",
    401: "Not authenticated: no session token, or the session or conversation has ended",
    403: "Not allowed: the account lacks the role, or the conversation token is missing or not this conversation's",
    404: "Not found",
    409: "Conflicts with the current state (e.g. a handoff already taken, an article edited since)",
    413: "Too large: the request body (FAQBOT_MAX_BODY_BYTES) or a text over its limit",
    422: "Invalid request: `details` names every field and its problem",
    429: "Too many requests: wait `Retry-After` seconds",
    503: "Not available right now (e.g. `database_unavailable`: the database cannot be reached; nothing was "
         "done that needs it): wait `Retry-After` seconds and send the same request again",
}

RETRY_AFTER = {"Retry-After": {"description": "seconds to wait before trying again", "required": True,
                               "schema": {"type": "integer", "minimum": 1}}}

# sets of statuses that go together
BODY = (400, 413, 422)  # a route with a JSON body: malformed, too large, invalid
STAFF = (401,)  # any logged-in account (CurrentAgent)
STAFF_ROLE = (401, 403)  # an account holding a role (require_roles)
CUSTOMER = (401, 403, 404)  # the customer's conversation: ended / wrong token / unknown conversation


def errors(*statuses: int | tuple[int, ...]) -> dict[int | str, dict[str, Any]]:
    """`responses=` for these error statuses, each with the service's one error body.

    Pass statuses or the tuples above: `responses=errors(STAFF_ROLE, 404, 409)`. 503 `database_unavailable`
    is added to every route: any of them may meet the database down (faqbot.db_outage).
    """
    flat: set[int] = {503}
    for status in statuses:
        flat.update(status if isinstance(status, tuple) else (status,))
    responses: dict[int | str, dict[str, Any]] = {}
    for status in sorted(flat):
        if status not in _DESCRIPTIONS:
            raise ValueError(f"no error description for status {status}")
        response: dict[str, Any] = {"model": ErrorResponse, "description": _DESCRIPTIONS[status]}
        if status in (429, 503):
            response["headers"] = RETRY_AFTER
        responses[status] = response
    return responses


# --- security schemes (they appear in components.securitySchemes through the auth dependencies) ---

staff_session = HTTPBearer(
    auto_error=False, scheme_name="StaffSession",
    description="An account's session token from `POST /api/agent/login`: `Authorization: Bearer <token>`.")
conversation_bearer = HTTPBearer(
    auto_error=False, scheme_name="ConversationBearer",
    description="The customer's conversation token from `POST /api/conversations`: `Authorization: Bearer <token>`.")
conversation_header = APIKeyHeader(
    name="X-Conversation-Token", auto_error=False, scheme_name="ConversationToken",
    description="The customer's conversation token, as a header of its own (instead of `Authorization`).")

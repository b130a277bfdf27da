"""The OpenAPI document is honest (issue 13, finding 9): every operation documents its 2xx body, its error statuses
with the service's one error body, and its security; limits are in the schema. A new route that does not fails here.

The pattern (docs/security.md): `response_model=`, `responses=errors(...)` from `faqbot/api/contract.py`, and an auth
dependency from `faqbot/api/deps.py`.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from embeddings import HashingEncoder
from faqbot.api.contract import ErrorResponse, errors
from faqbot.api.rate_limits import limit_name_for
from faqbot.app import create_app
from faqbot.launcher import free_port
from faqbot.settings import Settings
from tests.factories import fake_detector

METHODS = ("get", "put", "post", "patch", "delete")

# operations anyone may call (they need no token)
PUBLIC = {
    ("post", "/api/conversations"), ("get", "/api/widget/topics"), ("post", "/api/agent/login"),
    ("get", "/healthz"), ("get", "/actions/health"), ("get", "/actions/actions"),
    ("get", "/livez"), ("get", "/readyz"),  # for load balancers and orchestrators: no credentials, no data
}
# staff routes the `roles` branch moves to faqbot/api/team.py and documents there; remove each one once it is
# documented (test_pending_operations_are_still_pending says so)
PENDING: set[tuple[str, str]] = set()  # routes not yet documented (none)


@pytest.fixture(scope="module")
def document(tmp_path_factory) -> dict[str, Any]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("openapi"), rasa_url=f"http://127.0.0.1:{free_port()}")
    app = create_app(settings, encoder=HashingEncoder(), frustration_detector=fake_detector())
    return app.openapi()


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(method, path, operation) for path, item in document["paths"].items()
            for method, operation in item.items() if method in METHODS]


def _resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _json_schema(response: dict[str, Any]) -> dict[str, Any] | None:
    return response.get("content", {}).get("application/json", {}).get("schema")


def _is_described(document: dict[str, Any], schema: dict[str, Any] | None) -> bool:
    """An object with named properties, or an array of them: something a response can be checked against."""
    if not schema:
        return False
    schema = _resolve(document, schema)
    if schema.get("type") == "array":
        return _is_described(document, schema.get("items"))
    return bool(schema.get("properties"))


def _is_error_body(document: dict[str, Any], schema: dict[str, Any] | None) -> bool:
    """ErrorResponse, or a model that extends it (same `error` property)."""
    if not schema:
        return False
    resolved = _resolve(document, schema)
    error = resolved.get("properties", {}).get("error")
    return error is not None and _resolve(document, error).get("title") == "ErrorBody" \
        and "error" in resolved.get("required", ())


# documented bodies that are not the error body, on purpose: /readyz's 503 is the readiness report naming what is not
# ready (what orchestrators read), the same model as its 200
NOT_ERROR_BODIES = {("get", "/readyz", "503")}


def _is_text(response: dict[str, Any]) -> bool:
    """A plain-text body with a string schema (Prometheus' exposition format)."""
    return response.get("content", {}).get("text/plain", {}).get("schema", {}).get("type") == "string"


def _documented(document, method, path, operation) -> list[str]:
    """What is missing from the operation's documentation (empty: nothing)."""
    problems = []
    responses = operation.get("responses", {})
    ok = [status for status in responses if status.startswith("2")]
    if not ok:
        problems.append("no 2xx response")
    for status in ok:
        if status != "204" and not _is_described(document, _json_schema(responses[status])) \
                and not _is_text(responses[status]):
            problems.append(f"{status} has no response model")
    for status, response in responses.items():
        if not status.startswith("2") and (method, path, status) not in NOT_ERROR_BODIES \
                and not _is_error_body(document, _json_schema(response)):
            problems.append(f"{status} does not use ErrorResponse")
    if operation.get("parameters") or operation.get("requestBody"):
        if "422" not in responses:
            problems.append("takes input but does not document 422")
    if operation.get("requestBody"):
        problems += [f"has a body but does not document {s}" for s in ("400", "413") if s not in responses]
    if (method, path) not in PUBLIC:
        if not operation.get("security"):
            problems.append("declares no security")
        if "401" not in responses:
            problems.append("needs a token but does not document 401")
    if limit_name_for(method.upper(), re.sub(r"\{[^}]+\}", "x", path)) and "429" not in responses:
        problems.append("is rate limited per address but does not document 429")
    return problems


def test_every_operation_documents_its_body_errors_and_security(document):
    problems = {f"{method.upper()} {path}": missing for method, path, operation in _operations(document)
                if (method, path) not in PENDING and (missing := _documented(document, method, path, operation))}
    assert problems == {}


def test_pending_operations_are_still_pending(document):
    """Each PENDING entry exists and still lacks something; once documented it must leave the list."""
    operations = {(method, path): operation for method, path, operation in _operations(document)}
    assert {key for key in PENDING if key not in operations} == set(), "PENDING names an operation that is gone"
    done = {key for key in PENDING if not _documented(document, *key, operations[key])}
    assert done == set(), "documented now: remove from PENDING"


def test_the_security_schemes_are_declared(document):
    schemes = document["components"]["securitySchemes"]
    assert schemes["StaffSession"] == {**schemes["StaffSession"], "type": "http", "scheme": "bearer"}
    assert schemes["ConversationBearer"] == {**schemes["ConversationBearer"], "type": "http", "scheme": "bearer"}
    assert schemes["ConversationToken"] == {**schemes["ConversationToken"], "type": "apiKey", "in": "header",
                                            "name": "X-Conversation-Token"}
    messages = document["paths"]["/api/conversations/{conversation_id}/messages"]["post"]
    assert messages["security"] == [{"ConversationBearer": []}, {"ConversationToken": []}]  # either
    assert document["paths"]["/api/agent/handoffs"]["get"]["security"] == [{"StaffSession": []}]


def test_429_documents_retry_after_and_the_error_body_is_the_one_model(document):
    sent = document["paths"]["/api/conversations/{conversation_id}/messages"]["post"]["responses"]
    assert sent["429"]["headers"]["Retry-After"]["schema"]["type"] == "integer"
    assert _is_error_body(document, _json_schema(sent["413"]))
    assert document["components"]["schemas"]["ErrorBody"]["required"] == ["code", "message"]
    with pytest.raises(ValueError, match="418"):
        errors(418)


def _request_body(document, path, method="post") -> dict[str, Any]:
    body = document["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]
    return _resolve(document, body.get("anyOf", [body])[0])


def test_limits_are_in_the_schema(document):
    message = _request_body(document, "/api/conversations/{conversation_id}/messages")["properties"]
    assert message["text"]["minLength"] == 1 and message["text"]["pattern"] == r"\S"
    assert message["payload"]["anyOf"][0]["maxLength"] == 500
    start = _request_body(document, "/api/conversations")["properties"]
    assert start["language"]["anyOf"][0]["enum"] == ["en", "zh"]
    article = _request_body(document, "/api/kb/articles")["properties"]
    assert article["language"]["enum"] == ["en", "zh"] and article["title"]["maxLength"] == 300
    reply = _request_body(document, "/api/agent/handoffs/{handoff_id}/messages")["properties"]
    assert reply["text"]["minLength"] == 1
    topics = document["paths"]["/api/widget/topics"]["get"]["parameters"]
    assert next(p for p in topics if p["name"] == "locale")["schema"]["enum"] == ["en", "zh-Hans", "zh-Hant"]


# --- what the service really sends matches what the document says ---

@pytest.fixture
def client(tmp_path: Path):
    settings = Settings(data_dir=tmp_path, rasa_url=f"http://127.0.0.1:{free_port()}", rasa_timeout_seconds=2,
                        bootstrap_agent="alice:secret-pw", action_token="action-secret", max_body_bytes=2000,
                        rate_conversations_per_ip="2/minute")
    with TestClient(create_app(settings, encoder=HashingEncoder(), frustration_detector=fake_detector())) as c:
        yield c


def test_every_kind_of_error_is_the_documented_body(client):
    mine = client.post("/api/conversations").json()
    token, cid = mine["token"], client.post("/api/conversations").json()["conversation_id"]  # another's
    staff = {"Authorization": "Bearer " + client.post("/api/agent/login", json={
        "username": "alice", "password": "secret-pw"}).json()["token"]}
    seen = {
        400: client.post(f"/api/conversations/{mine['conversation_id']}/messages", content=b"{", headers={
            "Authorization": f"Bearer {token}", "Content-Type": "application/json"}),
        401: client.get("/api/agent/handoffs"),
        403: client.get(f"/api/conversations/{cid}", headers={"Authorization": f"Bearer {token}"}),
        404: client.get("/api/agent/handoffs/nope", headers=staff),
        413: client.post("/api/agent/login", content=b"x" * 3000, headers={"Content-Type": "application/json"}),
        422: client.post(f"/api/conversations/{mine['conversation_id']}/messages", json={"text": ""},
                         headers={"X-Conversation-Token": token}),
        429: client.post("/api/conversations"),
    }
    for status, response in seen.items():
        assert response.status_code == status, (status, response.text)
        ErrorResponse.model_validate(response.json())  # extra keys are forbidden: exactly the documented body
    assert int(seen[429].headers["Retry-After"]) >= 1
    assert seen[422].json()["error"]["details"][0]["field"] == "text"


def test_405_names_every_method_of_the_path(client):
    """Starlette's 405 lists only the first matching route's methods; the service's lists them all."""
    article = client.request("OPTIONS", "/api/kb/articles/some-article")
    assert article.status_code == 405 and article.headers["Allow"] == "GET, PUT"
    ErrorResponse.model_validate(article.json())
    messages = client.put("/api/conversations/c1/messages")
    assert messages.status_code == 405 and messages.headers["Allow"] == "GET, POST"

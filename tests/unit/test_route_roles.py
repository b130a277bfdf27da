"""Every route of the app (HTTP and WebSocket, read from `app.routes`) with every kind of caller: nobody, a
customer's conversation token, an agent, an editor, a supervisor, an admin and an account holding two roles.

ONE table (`RULES`) says who may use each route. A route missing from the table fails the test (a new
route needs a rule), and so does a rule for a route that no longer exists. "Allowed" means the request
got past authentication and authorization (any status but 401/403; the dummy ids may well give 404 or 422);
"denied" means 401 for a caller without a usable credential and 403 for a logged-in account without the role.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.routing import APIWebSocketRoute, _iter_routes_with_context
from fastapi.testclient import TestClient
from starlette.routing import Mount, WebSocketRoute
from starlette.websockets import WebSocketDisconnect

from embeddings import HashingEncoder
from faqbot.agents import ROLES
from faqbot.app import create_app
from faqbot.launcher import free_port
from faqbot.settings import Settings
from tests.factories import fake_detector

PUBLIC = "public"            # anyone
CUSTOMER = "customer"        # the conversation's own token
ACTION_SERVER = "action"     # Rasa, with the action token: none of the callers here
ANY_STAFF = frozenset(ROLES)


def roles(*names: str) -> frozenset[str]:
    return frozenset(names)


CONSOLE = roles("agent", "supervisor")      # watch conversations, read transcripts
AGENT = roles("agent")                      # take part in conversations
EDITOR = roles("editor")
SUPERVISOR = roles("supervisor")
ADMIN = roles("admin")

RULES: dict[tuple[str, str], str | frozenset[str]] = {
    # the service's own pages and documents
    ("GET", "/"): PUBLIC, ("GET", "/app"): PUBLIC, ("GET", "/app/{section:path}"): PUBLIC,
    ("GET", "/agent"): PUBLIC, ("GET", "/editor"): PUBLIC, ("GET", "/kb"): PUBLIC, ("GET", "/analytics"): PUBLIC,
    ("GET", "/admin"): PUBLIC, ("GET", "/widget.js"): PUBLIC, ("GET", "/healthz"): PUBLIC,
    ("MOUNT", "/static"): PUBLIC,
    # operations: probes for load balancers; /metrics asks for FAQBOT_METRICS_TOKEN when set (unset here)
    ("GET", "/livez"): PUBLIC, ("GET", "/readyz"): PUBLIC, ("GET", "/metrics"): PUBLIC,
    ("GET", "/openapi.json"): PUBLIC, ("GET", "/docs"): PUBLIC,
    # customers
    ("POST", "/api/conversations"): PUBLIC,
    ("GET", "/api/widget/topics"): PUBLIC,
    ("PUT", "/api/conversations/{conversation_id}/user"): CUSTOMER,
    ("GET", "/api/conversations/{conversation_id}"): CUSTOMER,
    ("POST", "/api/conversations/{conversation_id}/messages"): CUSTOMER,
    ("GET", "/api/conversations/{conversation_id}/messages"): CUSTOMER,
    ("POST", "/api/conversations/{conversation_id}/ticket"): CUSTOMER,
    ("POST", "/api/conversations/{conversation_id}/rating"): CUSTOMER,
    ("POST", "/api/conversations/{conversation_id}/leave"): CUSTOMER,
    ("GET", "/api/conversations/{conversation_id}/export"): CUSTOMER,
    ("DELETE", "/api/conversations/{conversation_id}"): CUSTOMER,
    ("WS", "/api/conversations/{conversation_id}/events"): CUSTOMER,
    # Rasa's action server
    ("GET", "/actions/health"): PUBLIC, ("GET", "/actions/actions"): PUBLIC,
    ("POST", "/actions/webhook"): ACTION_SERVER,
    # one's own account
    ("POST", "/api/agent/login"): PUBLIC,
    ("GET", "/api/agent/me"): ANY_STAFF, ("PATCH", "/api/agent/me"): ANY_STAFF,
    ("POST", "/api/agent/logout"): ANY_STAFF, ("PUT", "/api/agent/me/password"): ANY_STAFF,
    ("GET", "/api/agent/me/sessions"): ANY_STAFF, ("DELETE", "/api/agent/me/sessions"): ANY_STAFF,
    ("DELETE", "/api/agent/me/sessions/{session_id}"): ANY_STAFF,
    # the console
    ("PUT", "/api/agent/me/presence"): AGENT,
    ("WS", "/api/agent/events"): CONSOLE,
    ("GET", "/api/agent/handoffs"): CONSOLE,
    ("GET", "/api/agent/handoffs/{handoff_id}"): CONSOLE,
    ("WS", "/api/agent/handoffs/{handoff_id}/events"): CONSOLE,
    ("GET", "/api/agent/handoffs/{handoff_id}/suggestions"): AGENT,
    ("POST", "/api/agent/handoffs/{handoff_id}/claim"): AGENT,
    ("POST", "/api/agent/handoffs/{handoff_id}/messages"): AGENT,
    ("POST", "/api/agent/handoffs/{handoff_id}/transfer"): AGENT,
    ("POST", "/api/agent/handoffs/{handoff_id}/requeue"): AGENT,
    ("POST", "/api/agent/handoffs/{handoff_id}/resolve"): AGENT,
    ("GET", "/api/agent/team"): CONSOLE,
    ("GET", "/api/agent/canned"): CONSOLE, ("POST", "/api/agent/canned"): CONSOLE,
    ("PATCH", "/api/agent/canned/{reply_id}"): CONSOLE, ("DELETE", "/api/agent/canned/{reply_id}"): CONSOLE,
    # transcripts
    ("GET", "/api/agent/conversations"): CONSOLE,
    ("GET", "/api/agent/conversations/{conversation_id}"): CONSOLE,
    ("POST", "/api/agent/conversations/{conversation_id}/notes"): AGENT,
    ("PUT", "/api/agent/conversations/{conversation_id}/tags"): AGENT,
    # the team and accounts
    ("GET", "/api/agent/agents"): SUPERVISOR,
    ("POST", "/api/agent/agents"): ADMIN,
    ("PATCH", "/api/agent/agents/{agent_id}"): ADMIN,
    ("POST", "/api/agent/agents/{agent_id}/deactivate"): ADMIN,
    ("POST", "/api/agent/agents/{agent_id}/activate"): ADMIN,
    ("PUT", "/api/agent/agents/{agent_id}/password"): ADMIN,
    ("GET", "/api/audit"): ADMIN, ("GET", "/api/audit/filters"): ADMIN,
    # analytics
    ("GET", "/api/analytics"): SUPERVISOR, ("GET", "/api/analytics/targets"): SUPERVISOR,
    ("PUT", "/api/analytics/targets/{metric}"): SUPERVISOR, ("DELETE", "/api/analytics/targets/{metric}"): SUPERVISOR,
    ("GET", "/api/privacy/customers"): ADMIN, ("DELETE", "/api/privacy/customers"): ADMIN,
    # the knowledge base: any staff account reads it, editors change it
    ("GET", "/api/kb/articles"): ANY_STAFF,
    ("GET", "/api/kb/articles/{article_id}"): ANY_STAFF,
    ("GET", "/api/kb/articles/{article_id}/versions"): ANY_STAFF,
    ("GET", "/api/kb/articles/{article_id}/versions/{version}"): ANY_STAFF,
    ("GET", "/api/kb/articles/{article_id}/diff"): ANY_STAFF,
    ("POST", "/api/kb/articles"): EDITOR,
    ("PUT", "/api/kb/articles/{article_id}"): EDITOR,
    ("POST", "/api/kb/articles/{article_id}/publish"): EDITOR,
    ("POST", "/api/kb/articles/{article_id}/unpublish"): EDITOR,
    ("POST", "/api/kb/articles/{article_id}/archive"): EDITOR,
    ("POST", "/api/kb/articles/{article_id}/versions/{version}/restore"): EDITOR,
    ("GET", "/api/kb/unanswered"): EDITOR,
    ("GET", "/api/kb/feedback"): EDITOR, ("GET", "/api/kb/missing-translations"): EDITOR,
    ("POST", "/api/kb/try"): EDITOR, ("POST", "/api/kb/collisions"): EDITOR,
    ("GET", "/api/kb/questions"): EDITOR, ("POST", "/api/kb/questions/dismiss"): EDITOR,
    ("POST", "/api/kb/questions/add-phrasings"): EDITOR, ("POST", "/api/kb/questions/draft"): EDITOR,
    ("GET", "/api/kb/quality"): EDITOR,
}

# who calls: a name and the roles of its account (None: not an account)
CALLERS: dict[str, frozenset[str] | None] = {
    "anonymous": None, "customer": None,
    "agent": roles("agent"), "editor": roles("editor"), "supervisor": roles("supervisor"),
    "admin": roles("admin"), "agent+editor": roles("agent", "editor"),
}
SESSION_ENDING = {("POST", "/api/agent/logout")}  # walked with a fresh session per caller
PARAMS = {"section:path": "inbox", "version": "1"}


def app_routes(app) -> set[tuple[str, str]]:
    """(method, path) of every route the app serves: HTTP methods, "WS" for sockets, "MOUNT" for mounts."""
    found: set[tuple[str, str]] = set()
    for route, context in _iter_routes_with_context(app.routes):
        path = getattr(context.starlette_route, "path", None) if context else None
        path = path or (context.path if context else "") or route.path
        if isinstance(route, (APIWebSocketRoute, WebSocketRoute)):
            found.add(("WS", path))
        elif isinstance(route, Mount):
            found.add(("MOUNT", path))
        else:
            found.update((m, path) for m in ((context.methods if context else None) or route.methods) - {"HEAD"})
    return found


def allowed(rule: str | frozenset[str], caller: str) -> bool:
    if rule == PUBLIC:
        return True
    if rule == CUSTOMER:
        return caller == "customer"
    if rule == ACTION_SERVER:
        return False
    held = CALLERS[caller]
    return held is not None and ("admin" in held or not held.isdisjoint(rule))


def expected_denial(rule: str | frozenset[str], caller: str) -> set[int]:
    """The statuses a denied call may get."""
    if isinstance(rule, frozenset):
        return {403} if CALLERS[caller] is not None else {401}
    return {401, 403}


@pytest.fixture(scope="module")
def walk(tmp_path_factory):
    tmp: Path = tmp_path_factory.mktemp("routes")
    many = "100000/minute"
    settings = Settings(data_dir=tmp, rasa_url=f"http://127.0.0.1:{free_port()}", rasa_timeout_seconds=1,
                        bootstrap_agent="root:root-secret-pw", action_token="action-secret",
                        rate_login_per_ip=many, rate_conversations_per_ip=many, rate_messages_per_ip=many,
                        rate_messages_per_conversation=many)
    app = create_app(settings, encoder=HashingEncoder(), frustration_detector=fake_detector())
    with TestClient(app) as client:
        root = _login(client, "root", "root-secret-pw")
        passwords: dict[str, str] = {}
        for caller, held in CALLERS.items():
            if held is None:
                continue
            name = caller.replace("+", "-")
            passwords[caller] = f"{name}-walks-routes"
            created = client.post("/api/agent/agents", json={"username": name, "password": passwords[caller],
                                                             "roles": sorted(held)},
                                  headers={"Authorization": f"Bearer {root}"})
            assert created.status_code == 201, created.text
        tokens = {caller: _login(client, caller.replace("+", "-"), pw) for caller, pw in passwords.items()}
        yield app, client, tokens, passwords


def _login(client, username: str, password: str) -> str:
    response = client.post("/api/agent/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return response.json()["token"]


def _conversation(client) -> tuple[str, str]:
    body = client.post("/api/conversations", json={}).json()
    return body["conversation_id"], body["token"]


def test_every_route_has_exactly_one_rule(walk):
    app, *_ = walk
    served = app_routes(app)
    assert served - RULES.keys() == set(), "routes without a rule in RULES (add one)"
    assert RULES.keys() - served == set(), "rules for routes that no longer exist"


@pytest.mark.parametrize("caller", list(CALLERS))
def test_every_route_with_every_caller(walk, caller):
    app, client, tokens, passwords = walk
    wrong: list[str] = []
    for (method, template), rule in sorted(RULES.items()):
        if method == "MOUNT":
            response = client.get(template + "/does-not-exist.css")
            if response.status_code in (401, 403):
                wrong.append(f"{method} {template}: {response.status_code}")
            continue
        conversation_id, conversation_token = _conversation(client)
        path = template.replace("{conversation_id}", conversation_id)
        for name, value in PARAMS.items():
            path = path.replace("{" + name + "}", value)
        path = "/".join("x" if part.startswith("{") else part for part in path.split("/"))
        token = None
        if caller == "customer":
            token = conversation_token
        elif caller != "anonymous":
            token = tokens[caller]
            if (method, template) in SESSION_ENDING:
                token = _login(client, caller.replace("+", "-"), passwords[caller])
        if method == "WS":
            outcome = _socket(client, path, token)
            denied = outcome in (4401, 4403)
            expected_codes = {4401, 4403}
        else:
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            body = {} if method in ("POST", "PUT", "PATCH") else None
            response = client.request(method, path, json=body, headers=headers)
            outcome = response.status_code
            denied = outcome in (401, 403)
            expected_codes = expected_denial(rule, caller)
        if allowed(rule, caller):
            if denied:
                wrong.append(f"{method} {template}: expected allowed, got {outcome}")
        elif outcome not in expected_codes:
            wrong.append(f"{method} {template}: expected {sorted(expected_codes)}, got {outcome}")
    assert wrong == [], f"{caller}:\n" + "\n".join(wrong)


def _socket(client, path: str, token: str | None) -> int:
    """The close code the socket got before it was accepted, or 1000 when it was accepted."""
    url = path + (f"?token={token}" if token else "")
    try:
        with client.websocket_connect(url) as socket:
            socket.close()
            return 1000
    except WebSocketDisconnect as exc:
        return exc.code

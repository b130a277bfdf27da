"""The Team section's API (issue 11 item 8) and the audit log (item 9): accounts created, edited,
deactivated (no login, every session and console ended at once) and reactivated; a password reset by an
admin; the last admin kept; shared and personal canned replies (issue 13 finding 6); every change audited."""

import time

import pytest
from starlette.websockets import WebSocketDisconnect

from tests.unit import test_api
from tests.unit.test_api import error_code, login

client = test_api.client


def make(client, admin, username, roles=("agent",), **extra):
    response = client.post("/api/agent/agents", json={"username": username, "password": f"{username}-secret-pw",
                                                      "roles": list(roles), **extra}, headers=admin)
    assert response.status_code == 201, response.text
    return response.json()["agent"]


def test_deactivating_ends_every_session_and_console_at_once_and_blocks_login(client):
    admin = login(client)
    sam = make(client, admin, "sam")
    sam_headers = login(client, "sam", "sam-secret-pw")
    token = sam_headers["Authorization"].split()[1]
    other_session = login(client, "sam", "sam-secret-pw")
    with client.websocket_connect(f"/api/agent/events?token={token}") as console:
        assert client.get("/api/agent/team", headers=admin).json()["agents"][1]["connected"] is True
        started = time.monotonic()
        done = client.post(f"/api/agent/agents/{sam['id']}/deactivate", headers=admin)
        assert done.status_code == 200, done.text
        assert (done.json()["sessions_ended"], done.json()["agent"]["active"]) == (2, False)
        with pytest.raises(WebSocketDisconnect) as closed:
            while True:
                console.receive_json()
        assert closed.value.code == 4401
        assert time.monotonic() - started < 3  # at once, not at the next 5 s check
    for headers in (sam_headers, other_session):
        assert client.get("/api/agent/me", headers=headers).status_code == 401
    refused = client.post("/api/agent/login", json={"username": "sam", "password": "sam-secret-pw"})
    assert refused.status_code == 403 and error_code(refused) == "account_deactivated"
    listed = {a["username"]: a for a in client.get("/api/agent/agents", headers=admin).json()["accounts"]}
    assert listed["sam"]["active"] is False and listed["sam"]["sessions"] == 0
    assert "sam" not in {a["username"] for a in client.get("/api/agent/team", headers=admin).json()["agents"]}
    assert error_code(client.post(f"/api/agent/agents/{sam['id']}/deactivate", headers=admin)) == \
        "already_deactivated"
    assert client.post(f"/api/agent/agents/{sam['id']}/activate", headers=admin).json()["agent"]["active"] is True
    assert client.get("/api/agent/me", headers=login(client, "sam", "sam-secret-pw")).status_code == 200


def test_the_last_admin_stays_and_an_admin_cannot_deactivate_themselves(client):
    admin = login(client)
    me = client.get("/api/agent/me", headers=admin).json()["agent"]
    assert error_code(client.post(f"/api/agent/agents/{me['id']}/deactivate", headers=admin)) == \
        "cannot_deactivate_self"
    demoted = client.patch(f"/api/agent/agents/{me['id']}", json={"roles": ["agent"]}, headers=admin)
    assert demoted.status_code == 409 and error_code(demoted) == "last_admin"
    make(client, admin, "second-admin", roles=("admin",))
    assert client.patch(f"/api/agent/agents/{me['id']}", json={"roles": ["agent", "supervisor"]},
                        headers=admin).json()["agent"]["roles"] == ["agent", "supervisor"]


def test_account_edits_name_the_bad_field_and_save_nothing(client):
    admin = login(client)
    sam = make(client, admin, "sam", skills=["shipping"], languages=["en"], max_concurrent=2)
    for body, field in [({"roles": ["agent", "owner"]}, "roles.1"), ({"roles": []}, "roles"),
                        ({"languages": ["fr"]}, "languages.0"), ({"max_concurrent": 0}, "max_concurrent"),
                        ({"max_concurrent": 3, "skills": [""]}, "skills.0"), ({"display_name": "   "}, "display_name"),
                        ({"roles": ["agent"], "nickname": "x"}, "nickname")]:
        response = client.patch(f"/api/agent/agents/{sam['id']}", json=body, headers=admin)
        assert response.status_code == 422 and field in response.json()["error"]["message"], (body, response.text)
    after = next(a for a in client.get("/api/agent/agents", headers=admin).json()["accounts"] if a["id"] == sam["id"])
    assert (after["roles"], after["languages"], after["max_concurrent"], after["skills"]) == \
        (["agent"], ["en"], 2, ["shipping"])
    bad_name = client.post("/api/agent/agents", json={"username": "a b", "password": "long-enough-pw"}, headers=admin)
    assert bad_name.status_code == 422 and "username" in bad_name.json()["error"]["message"]
    assert client.patch("/api/agent/agents/missing", json={"max_concurrent": 2}, headers=admin).status_code == 404
    # an account changes only its own preferences, not its capacity or roles
    sam_headers = login(client, "sam", "sam-secret-pw")
    assert client.patch("/api/agent/me", json={"max_concurrent": 50}, headers=sam_headers).status_code == 422
    assert client.patch("/api/agent/me", json={"auto_assign": True}, headers=sam_headers).json()["agent"][
        "auto_assign"] is True


def test_a_password_reset_ends_the_sessions_and_the_temporary_password_works(client):
    admin = login(client)
    sam = make(client, admin, "sam")
    old = login(client, "sam", "sam-secret-pw")
    weak = client.put(f"/api/agent/agents/{sam['id']}/password", json={"temporary_password": "password123"},
                      headers=admin)
    assert weak.status_code == 422 and error_code(weak) == "weak_password"
    assert client.get("/api/agent/me", headers=old).status_code == 200  # nothing changed
    reset = client.put(f"/api/agent/agents/{sam['id']}/password", json={"temporary_password": "tempo-rary-42"},
                       headers=admin)
    assert reset.status_code == 200 and reset.json()["sessions_ended"] == 1
    assert client.get("/api/agent/me", headers=old).status_code == 401
    assert client.post("/api/agent/login", json={"username": "sam", "password": "sam-secret-pw"}).status_code == 401
    assert client.get("/api/agent/me", headers=login(client, "sam", "tempo-rary-42")).status_code == 200


def test_personal_replies_belong_to_their_owner_and_shared_ones_to_supervisors(client):
    admin = login(client)
    make(client, admin, "sam")
    make(client, admin, "tia")
    make(client, admin, "sue", roles=("supervisor",))
    sam, tia, sue = (login(client, n, f"{n}-secret-pw") for n in ("sam", "tia", "sue"))
    personal = client.post("/api/agent/canned", json={"title": "Mine", "text": "My words"}, headers=sam).json()["reply"]
    refused = client.post("/api/agent/canned", json={"title": "All", "text": "For all", "shared": True}, headers=sam)
    assert refused.status_code == 403 and "shared" in refused.json()["error"]["message"]
    shared = client.post("/api/agent/canned", json={"title": "Hello", "text": "Hi!", "shared": True},
                         headers=sue).json()["reply"]
    assert {r["title"] for r in client.get("/api/agent/canned", headers=tia).json()["replies"]} == {"Hello"}
    assert error_code(client.delete(f"/api/agent/canned/{personal['id']}", headers=tia)) == "canned_reply_not_found"
    assert error_code(client.delete(f"/api/agent/canned/{shared['id']}", headers=tia)) == "access_denied"
    assert error_code(client.patch(f"/api/agent/canned/{shared['id']}", json={"text": "x"}, headers=sam)) == \
        "access_denied"
    assert client.patch(f"/api/agent/canned/{personal['id']}", json={"text": "Better words"},
                        headers=sam).json()["reply"]["text"] == "Better words"
    assert client.patch(f"/api/agent/canned/{shared['id']}", json={"title": "Hello there"},
                        headers=admin).json()["reply"]["title"] == "Hello there"
    assert client.delete(f"/api/agent/canned/{shared['id']}", headers=sue).status_code == 204
    assert client.delete(f"/api/agent/canned/{personal['id']}", headers=sam).status_code == 204
    assert client.get("/api/agent/canned", headers=sam).json()["replies"] == []


def test_the_audit_log_records_account_changes_and_filters_and_pages(client):
    admin = login(client)
    me = client.get("/api/agent/me", headers=admin).json()["agent"]
    sam = make(client, admin, "sam")
    client.patch(f"/api/agent/agents/{sam['id']}", json={"roles": ["agent", "editor"], "max_concurrent": 5},
                 headers=admin)
    client.post(f"/api/agent/agents/{sam['id']}/deactivate", headers=admin)
    client.put(f"/api/agent/agents/{sam['id']}/password", json={"temporary_password": "tempo-rary-42"},
               headers=admin)
    log = client.get("/api/audit", headers=admin).json()
    assert [e["action"] for e in log["entries"]] == ["account.password_reset", "account.deactivate",
                                                     "account.update", "account.roles", "account.create",
                                                     "account.create"]
    bootstrap = log["entries"][-1]  # the bootstrap admin, made by the service itself
    assert (bootstrap["actor_id"], bootstrap["actor_name"], bootstrap["target_name"]) == (None, "system", "alice")
    roles = log["entries"][3]
    assert (roles["actor_id"], roles["actor_name"], roles["target_name"]) == (me["id"], me["display_name"], "sam")
    assert roles["details"] == {"roles": {"from": ["agent"], "to": ["agent", "editor"]}}
    assert log["entries"][2]["details"] == {"max_concurrent": {"from": 3, "to": 5}}
    assert "tempo-rary-42" not in str(log)  # no password is recorded
    page = client.get("/api/audit", params={"limit": 2, "offset": 2}, headers=admin).json()
    assert (page["total"], [e["action"] for e in page["entries"]]) == (6, ["account.update", "account.roles"])
    assert client.get("/api/audit", params={"action": "account.roles"}, headers=admin).json()["total"] == 1
    assert client.get("/api/audit", params={"action": "account."}, headers=admin).json()["total"] == 6
    assert client.get("/api/audit", params={"actor": sam["id"]}, headers=admin).json()["total"] == 0
    assert client.get("/api/audit", params={"since": "2000-01-01", "until": "2000-01-02"},
                      headers=admin).json()["total"] == 0
    assert client.get("/api/audit", params={"since": "0001-01-01", "until": "9999-12-31"},
                      headers=admin).json()["total"] == 6  # the ends of the calendar, no overflow
    bad = client.get("/api/audit", params={"since": "yesterday"}, headers=admin)
    assert bad.status_code == 422 and "since" in bad.json()["error"]["message"]
    backwards = client.get("/api/audit", params={"since": "2026-01-02", "until": "2026-01-01"}, headers=admin)
    assert backwards.status_code == 422 and "until" in backwards.json()["error"]["message"]
    filters = client.get("/api/audit/filters", headers=admin).json()
    assert {"account.roles", "kb.publish"} <= {a["action"] for a in filters["actions"]}
    assert filters["actors"] == [{"id": me["id"], "name": me["display_name"]}, {"id": None, "name": "system"}]


def test_losing_the_console_roles_closes_an_open_console_at_once(client):
    admin = login(client)
    sam = make(client, admin, "sam")
    token = login(client, "sam", "sam-secret-pw")["Authorization"].split()[1]
    with client.websocket_connect(f"/api/agent/events?token={token}") as console:
        started = time.monotonic()
        changed = client.patch(f"/api/agent/agents/{sam['id']}", json={"roles": ["editor"]}, headers=admin)
        assert changed.json()["agent"]["roles"] == ["editor"]
        with pytest.raises(WebSocketDisconnect) as closed:
            while True:
                console.receive_json()
        assert closed.value.code == 4403 and time.monotonic() - started < 3
    assert client.get("/api/agent/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200  # still an editor

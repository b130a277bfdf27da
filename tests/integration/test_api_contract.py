"""schemathesis against the running service, as a customer and as each staff role (issue 13, findings 5 and 9).

Every operation of the OpenAPI schema is called with generated data (valid and invalid, schemathesis's
coverage and fuzzing phases) under each identity: no response may be a server error. Checks of responses
against their documented schemas join once every route documents its responses (docs/security.md).
Operations that end the identity's own session or conversation are left out; their own tests cover them.
schemathesis runs as its command-line tool (`st run`): its pytest plugin does not work with pytest 9.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.live import AgentClient, Customer, running_stack

ENDS_THE_IDENTITY = r"^/api/agent/(logout|me/password|me/sessions.*)$"
STAFF_ROLES = ("agent", "editor", "supervisor", "admin")
ST = Path(sys.executable).with_name("st")


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory):
    """A stack of its own: an admin's generated requests change accounts, articles and presence."""
    with running_stack(tmp_path_factory.mktemp("contract")) as stack:
        yield stack


@pytest.fixture(scope="module")
def identities(fuzzed) -> dict[str, dict]:
    """A customer (with their conversation) and one logged-in account per staff role."""
    admin = AgentClient(fuzzed.web_url)
    found: dict[str, dict] = {"admin": {"token": admin.token}}
    for role in STAFF_ROLES:
        if role != "admin":
            username = f"contract-{role}"
            admin.http.post("/api/agent/agents", json={"username": username, "password": "contract-pw-1",
                                                       "roles": [role]})
            found[role] = {"token": AgentClient(fuzzed.web_url, username, "contract-pw-1").token}
    customer = Customer(fuzzed.web_url)
    customer.say("hello")
    found["customer"] = {"token": customer.token, "conversation_id": customer.id}
    return found


@pytest.mark.parametrize("who", ["customer", *STAFF_ROLES])
def test_no_identity_gets_a_server_error(who, identities, fuzzed, tmp_path):
    identity = identities[who]
    config = tmp_path / "schemathesis.toml"
    if "conversation_id" in identity:  # the customer's own conversation in every {conversation_id}
        config.write_text(f'[parameters]\nconversation_id = "{identity["conversation_id"]}"\n')
    else:
        config.write_text("")
    command = [str(ST), "--config-file", str(config), "run", f"{fuzzed.web_url}/openapi.json",
               "--checks", "not_a_server_error", "-H", f"Authorization: Bearer {identity['token']}",
               "--phases", "coverage,fuzzing", "--max-examples", "15", "--workers", "2", "--seed", "13",
               "--exclude-path-regex", ENDS_THE_IDENTITY, "--no-color"]
    if who == "customer":
        command += ["--exclude-path-regex", r"^/api/conversations/\{conversation_id\}$", "--exclude-method",
                    "DELETE"]
    run = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    assert "generated" in run.stdout and " 0 generated" not in run.stdout

import asyncio
import os
import subprocess
import sys

from faqbot.agents import AgentStore
from faqbot.audit import AuditLog
from faqbot.db import make_engine


def faqbot(*args: str, data_dir) -> subprocess.CompletedProcess:
    env = {**os.environ, "FAQBOT_DATA_DIR": str(data_dir)}
    return subprocess.run([sys.executable, "-m", "faqbot.cli", *args], env=env, capture_output=True, text=True,
                          timeout=60)


def test_agent_create_then_login(tmp_path):
    created = faqbot("agent", "create", "bob", "--password", "bob-secret", "--display-name", "Bob",
                     "--skills", "shipping, refunds", "--languages", "zh", "--max-concurrent", "2", data_dir=tmp_path)
    assert created.returncode == 0, created.stderr
    assert "created agent 'bob' (skills: refunds, shipping; languages: zh; up to 2 at once)" in created.stdout

    async def login():
        engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'faqbot.db'}")
        try:
            return await AgentStore(engine).login("bob", "bob-secret"), await AuditLog(engine).page()
        finally:
            await engine.dispose()

    (agent, token), audit = asyncio.run(login())
    assert [(e.action, e.actor_name, e.target.name, e.details["via"]) for e in audit.entries] == [
        ("account.create", "system", "bob", "command line")]  # accounts made outside the service are audited too
    assert agent.display_name == "Bob" and token
    assert (agent.skills, agent.languages, agent.max_concurrent, agent.auto_assign) == (
        ("refunds", "shipping"), ("zh",), 2, False)

    duplicate = faqbot("agent", "create", "bob", "--password", "other-pw", data_dir=tmp_path)
    assert duplicate.returncode == 2 and "could not create agent" in duplicate.stderr

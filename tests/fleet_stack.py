"""Several service processes on one PostgreSQL database and one Redis, with one Rasa (for tests and bench):
process `b` runs Rasa, whose action calls go to `b`; every process has its own data folder (no shared disk)."""

from __future__ import annotations

import secrets
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from faqbot.launcher import Stack, free_port, with_secrets
from faqbot.settings import Settings
from tests.live import AGENT, TEST_LIMITS, trained_model


class PrivateRedis:
    """A redis-server of our own on a free port (the shared one is never restarted), without persistence:
    a restart loses every key, the worst case."""

    def __init__(self, folder: Path) -> None:
        self.port = free_port()
        self.folder = folder
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.folder)], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError("redis-server did not start")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None


@contextmanager
def running_fleet(root: Path, database_url: str, redis_url: str, redis_prefix: str,
                  **overrides: object) -> Iterator[dict[str, Stack]]:
    """Processes `a` and `b` started together (migrations and the start-up import take turns) and ready."""
    settings_b = with_secrets(Settings(  # type: ignore[arg-type]
        data_dir=root / "b", port=free_port(), bootstrap_agent=":".join(AGENT),
        action_token=secrets.token_urlsafe(16), database_url=database_url, redis_url=redis_url,
        redis_prefix=redis_prefix, **{**TEST_LIMITS, **overrides}))
    settings_a = replace(settings_b, data_dir=root / "a", port=free_port())
    b = Stack(settings_b, free_port(), log_dir=root / "b" / "logs")
    a = Stack(settings_a, b.rasa_port, log_dir=root / "a" / "logs")
    try:
        a.start_web()
        b.start_web()
        b.start_rasa(trained_model())
        a.wait_web()
        b.wait_web()
        b.wait_rasa()
        yield {"a": a, "b": b}
    finally:
        a.stop()
        b.stop()

"""Several service processes on one PostgreSQL database and one Redis, with one Rasa (for tests and bench):
process `b` runs Rasa, whose action calls go to `b`; every process has its own data folder (no shared disk)."""

from __future__ import annotations

import glob
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
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


class PrivatePostgres:
    """A PostgreSQL cluster of our own (initdb, pg_ctl: Debian's binaries) on a free port, trust auth, in a
    temporary folder: stopped, killed and started again by a test, while the machine's shared server on 5432
    is never touched. As root (containers, CI) the cluster runs as the `postgres` account (PostgreSQL refuses
    root), in a folder it owns."""

    def __init__(self) -> None:
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
        if not found:
            raise RuntimeError("PostgreSQL's server binaries are missing (apt-get install postgresql)")
        self.bin = os.path.dirname(found[-1])
        self.port = free_port()
        self.root = tempfile.mkdtemp(prefix="faqbot-pg-")
        self.data = os.path.join(self.root, "data")
        self.log = os.path.join(self.root, "postgres.log")
        self._user = "postgres" if os.geteuid() == 0 else None
        if self._user:
            account = pwd.getpwnam(self._user)
            os.chown(self.root, account.pw_uid, account.pw_gid)
        self._run("initdb", "-D", self.data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")

    @property
    def url(self) -> str:
        """The server, for a database name to be appended: postgresql://postgres@127.0.0.1:<port>"""
        return f"postgresql://postgres@127.0.0.1:{self.port}"

    def _run(self, tool: str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run([os.path.join(self.bin, tool), *args], user=self._user, cwd=self.root,
                              check=check, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)

    def start(self, timeout: float = 60.0) -> None:
        """Start (again); after a kill -9 the old server's processes may take a moment to go: retried."""
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={self.root}"
        deadline = time.monotonic() + timeout
        while True:
            done = self._run("pg_ctl", "-D", self.data, "-l", self.log, "-w", "-t", "30", "-o", options, "start",
                             check=False)
            if done.returncode == 0:
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"PostgreSQL did not start: {done.stdout.decode()[-500:]}")
            time.sleep(0.5)

    def stop(self) -> None:
        """A fast shutdown: sessions are ended, running transactions rolled back, the server stops."""
        self._run("pg_ctl", "-D", self.data, "-m", "fast", "-w", "-t", "60", "stop")

    def postmaster_pid(self) -> int:
        with open(os.path.join(self.data, "postmaster.pid")) as pid_file:
            return int(pid_file.readline())

    def kill(self) -> None:
        """kill -9 of the postmaster (its backends notice and exit; the next start recovers from the WAL)."""
        os.kill(self.postmaster_pid(), signal.SIGKILL)

    def cleanup(self) -> None:
        self._run("pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop", check=False)
        shutil.rmtree(self.root, ignore_errors=True)


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

"""Start the whole product: train Rasa if its inputs changed, then run Rasa and the web service.

Also used by the end-to-end tests, which start the real processes on free ports.
"""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from pathlib import Path

import httpx

from faqbot.rasa_gateway import RasaServiceAuth
from faqbot.security.files import OWNER_ONLY_UMASK, create_owner_only
from faqbot.settings import REPO_ROOT, Settings

log = logging.getLogger(__name__)

RASA_INPUTS = ("config.yml", "bot/domain.yml", "bot/data")


def default_rasa_bin() -> Path:
    return Path(os.environ.get("FAQBOT_RASA_BIN", REPO_ROOT / ".venv-rasa" / "bin" / "rasa"))


def rasa_server_command(rasa_bin: Path) -> list[str]:
    """`rasa` as faqbot runs the server: the same command through `bot.rasa_runtime`, which tunes Rasa
    first (in the Rasa environment's own Python, next to its `rasa` executable)."""
    python = rasa_bin.parent / "python"
    return [str(python), "-m", "bot.rasa_runtime"] if python.exists() else [str(rasa_bin)]


def rasa_fingerprint(root: Path = REPO_ROOT) -> str:
    """Hash of everything `rasa train` reads: a new hash means the model must be retrained."""
    digest = hashlib.sha256()
    for name in RASA_INPUTS:
        path = root / name
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            digest.update(str(file.relative_to(root)).encode())
            digest.update(file.read_bytes())
    return digest.hexdigest()[:16]


def rasa_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    return {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "3",
            "PYTHONWARNINGS": "ignore", "RASA_CACHE_DIRECTORY": str(REPO_ROOT / "var" / "rasa-cache"),
            **(extra or {})}


def ensure_model(models_dir: Path, rasa_bin: Path | None = None, log_file: Path | None = None,
                 cache_dir: Path | None = None) -> Path:
    """The trained model for the current inputs, training it only if it does not exist yet."""
    fingerprint = rasa_fingerprint()
    model = models_dir / f"faqbot-{fingerprint}.tar.gz"
    if model.exists():
        log.info("Rasa model is up to date: %s", model.name)
        return model
    models_dir.mkdir(parents=True, exist_ok=True)
    if log_file:
        log_file.parent.mkdir(parents=True, exist_ok=True)
    rasa_bin = rasa_bin or default_rasa_bin()
    started = time.perf_counter()
    print(f"Training the Rasa model ({model.name})…", flush=True)
    with open(log_file or os.devnull, "ab") as out:
        subprocess.run(
            [str(rasa_bin), "train", "--config", "config.yml", "--domain", "bot/domain.yml", "--data", "bot/data",
             "--out", str(models_dir), "--fixed-model-name", model.name.removesuffix(".tar.gz")],
            cwd=REPO_ROOT, env=rasa_env({"RASA_CACHE_DIRECTORY": str(cache_dir)} if cache_dir else None),
            check=True, stdout=out, stderr=subprocess.STDOUT,
        )
    print(f"Trained in {time.perf_counter() - started:.1f} s", flush=True)
    return model


def with_secrets(settings: Settings) -> Settings:
    """Settings with the secrets Rasa and the service share; missing ones are made up for this start."""
    from dataclasses import replace

    return replace(settings, action_token=settings.action_token or secrets.token_urlsafe(24),
                   rasa_jwt_secret=settings.rasa_jwt_secret or secrets.token_urlsafe(32))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(check, timeout: float, what: str, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{what} exited with code {process.returncode} while starting")
        try:
            if check():
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.25)
    raise TimeoutError(f"{what} was not ready after {timeout:.0f} s")


@dataclass
class Stack:
    """Rasa and the web service as child processes."""

    settings: Settings
    rasa_port: int
    rasa_bin: Path = field(default_factory=default_rasa_bin)
    log_dir: Path | None = None
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)

    @property
    def web_url(self) -> str:
        return f"http://{self.settings.host}:{self.settings.port}"

    @property
    def rasa_url(self) -> str:
        return f"http://127.0.0.1:{self.rasa_port}"

    def _log(self, name: str):
        if self.log_dir is None:
            return None
        self.log_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        create_owner_only(self.log_dir / f"{name}.log")
        return open(self.log_dir / f"{name}.log", "ab")

    def web_env(self) -> dict[str, str]:
        """The web service's environment: every setting as FAQBOT_<NAME>, pointing at this stack's Rasa."""
        settings = {f"FAQBOT_{f.name.upper()}": str(getattr(self.settings, f.name)) for f in fields(Settings)}
        return {
            **os.environ,
            "HF_HUB_OFFLINE": "1",
            "TOKENIZERS_PARALLELISM": "false",
            **settings,
            "FAQBOT_RASA_URL": self.rasa_url,
        }

    def start_rasa(self, model: Path) -> None:
        env = rasa_env({
            "FAQBOT_ACTION_ENDPOINT_URL": f"{self.web_url}/actions/webhook",
            "FAQBOT_ACTION_TOKEN": self.settings.action_token,
            "FAQBOT_RASA_JWT_SECRET": self.settings.rasa_jwt_secret,
            "FAQBOT_RASA_TRACKER_DB": str(self.settings.data_dir / "rasa_tracker.db"),
            "FAQBOT_RASA_SESSION_TURNS": str(self.settings.rasa_session_turns),
        })
        self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        out = self._log("rasa")
        self.processes["rasa"] = subprocess.Popen(
            [*rasa_server_command(self.rasa_bin), "run", "--enable-api", "--model", str(model),
             "--endpoints", "bot/endpoints.yml", "--credentials", "bot/credentials.yml",
             "--port", str(self.rasa_port), "--interface", "127.0.0.1"],
            cwd=REPO_ROOT, env=env, stdout=out or subprocess.DEVNULL, stderr=subprocess.STDOUT,
            start_new_session=True, umask=OWNER_ONLY_UMASK,  # its tracker store: owner only
        )

    def start_web(self) -> None:
        out = self._log("web")
        self.processes["web"] = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "faqbot.app:create_app", "--factory", "--host", self.settings.host,
             "--port", str(self.settings.port), "--ws", "wsproto", "--log-level", "warning",
             "--ws-max-size", str(self.settings.max_ws_message_bytes)],
            cwd=REPO_ROOT, env=self.web_env(), stdout=out, stderr=subprocess.STDOUT if out else None,
            start_new_session=True, umask=OWNER_ONLY_UMASK,
        )

    def wait_rasa(self, timeout: float = 180) -> None:
        auth = RasaServiceAuth(self.settings.rasa_jwt_secret)
        wait_until(lambda: bool(httpx.get(f"{self.rasa_url}/status", timeout=2, auth=auth).json().get("model_file")),
                   timeout, "Rasa", self.processes.get("rasa"))

    def wait_web(self, timeout: float = 180) -> None:
        wait_until(lambda: httpx.get(f"{self.web_url}/healthz", timeout=2).status_code == 200,
                   timeout, "the web service", self.processes.get("web"))

    def stop(self, name: str | None = None, sig: int = signal.SIGTERM) -> None:
        for key in [name] if name else list(self.processes):
            process = self.processes.pop(key, None)
            if process is None or process.poll() is not None:
                continue
            os.killpg(process.pid, sig)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


@contextmanager
def running(settings: Settings, rasa_port: int, model: Path, log_dir: Path | None = None) -> Iterator[Stack]:
    """Both processes started and ready; stopped on exit."""
    stack = Stack(with_secrets(settings), rasa_port, log_dir=log_dir)
    try:
        stack.start_web()
        stack.start_rasa(model)
        stack.wait_web()
        stack.wait_rasa()
        yield stack
    finally:
        stack.stop()


def up(settings: Settings, rasa_port: int) -> None:
    """`faqbot up`: everything, in the foreground, until Ctrl-C."""
    started = time.perf_counter()
    settings = with_secrets(settings)
    model = ensure_model(settings.data_dir / "models", log_file=settings.data_dir / "logs" / "train.log")
    stack = Stack(settings, rasa_port, log_dir=settings.data_dir / "logs")
    signal.signal(signal.SIGTERM, _raise_interrupt)  # `kill` stops the children too
    try:
        stack.start_web()
        stack.start_rasa(model)
        stack.wait_web()
        stack.wait_rasa()
        url = stack.web_url
        print(
            f"\nfaqbot is up in {time.perf_counter() - started:.0f} s\n"
            f"  customer chat : {url}/\n"
            f"  back office   : {url}/app/    (login {settings.bootstrap_agent.replace(':', ' / ') or 'see README'})\n"
            f"  API docs      : {url}/docs\n"
            f"  embed widget  : <script src=\"{url}/widget.js\" async></script>\n"
            f"  Rasa          : {stack.rasa_url}   (logs in {settings.data_dir / 'logs'})\n"
            "Press Ctrl-C to stop.",
            flush=True,
        )
        while all(p.poll() is None for p in stack.processes.values()):
            time.sleep(1)
        dead = [name for name, p in stack.processes.items() if p.poll() is not None]
        print(f"{', '.join(dead)} stopped unexpectedly; see {settings.data_dir / 'logs'}", file=sys.stderr)
        raise SystemExit(1)
    except KeyboardInterrupt:
        print("\nStopping…")
    finally:
        stack.stop()


def _raise_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt

"""Start the whole product: train Rasa if its inputs changed, then run Rasa and the web service.

`faqbot up --workers N --rasa-instances M` tries the fleet layout on one machine: M Rasa instances (trackers
in PostgreSQL, locks in Redis: faqbot/rasa_stores.py) and N service processes behind nginx, which listens on
FAQBOT_PORT with deploy/nginx/faqbot.conf (the deployment's own file, its upstream filled in with the
processes' ports). Each process's log goes to <data_dir>/logs/<name>.log (web-1, rasa-1, nginx…).

Also used by the end-to-end tests and benchmarks, which start the real processes on free ports.
"""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from pathlib import Path

import httpx

from faqbot import log_format
from faqbot.metrics import MULTIPROC_ENV, WORKER_ENV, prepare_multiprocess_dir
from faqbot.rasa_gateway import RasaServiceAuth
from faqbot.rasa_stores import RasaStores
from faqbot.security.files import OWNER_ONLY_UMASK, create_owner_only
from faqbot.settings import REPO_ROOT, Settings

log = logging.getLogger(__name__)
# How long the web service keeps an idle HTTP connection open: longer than its clients keep theirs (Rasa's
# action calls reuse connections for 15 s, aiohttp's default), so a client never reuses a connection at the
# moment the server closes it (a custom action call would fail with "Can not write request body").
KEEP_ALIVE_SECONDS = 30

RASA_INPUTS = ("config.yml", "bot/domain.yml", "bot/data")
NGINX_CONF = REPO_ROOT / "deploy" / "nginx" / "faqbot.conf"


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


class LayoutError(ValueError):
    """A process layout the settings cannot run safely (e.g. two Rasa instances on one SQLite file)."""


def check_layout(settings: Settings, workers: int, rasa_instances: int) -> None:
    if workers < 1 or rasa_instances < 1:
        raise LayoutError("--workers and --rasa-instances must be at least 1")
    stores = RasaStores.from_settings(settings)
    if rasa_instances > 1 and not stores.is_shared:
        raise LayoutError("several Rasa instances need their trackers in PostgreSQL and their locks in Redis: set "
                          "FAQBOT_DATABASE_URL to a postgresql+asyncpg:// URL (or FAQBOT_RASA_TRACKER_URL) and "
                          "FAQBOT_REDIS_URL")
    if workers > 1 and make_url_backend(settings.resolved_database_url) != "postgresql":
        raise LayoutError("several service processes need a database they can share: set FAQBOT_DATABASE_URL to "
                          "a postgresql+asyncpg:// URL")
    if workers > 1 and not nginx_bin():
        raise LayoutError("several service processes run behind nginx, which is not installed "
                          "(apt-get install nginx)")


def make_url_backend(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).get_backend_name()


def nginx_bin() -> str | None:
    return shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if Path(p).exists()), None)


def nginx_site(listen: str, upstreams: list[str], access_log: Path | None = None, template: Path = NGINX_CONF) -> str:
    """deploy/nginx/faqbot.conf with its `listen`, its upstream's `server` lines (and its access log) set."""
    lines, out, servers_done = template.read_text().splitlines(), [], False
    for line in lines:
        stripped = line.strip()
        if stripped.startswith("server ") and stripped.endswith(";") and "127.0.0.1:" in stripped:
            if not servers_done:
                indent = line[: len(line) - len(line.lstrip())]
                out.extend(f"{indent}server {u} max_fails=1 fail_timeout=5s;" for u in upstreams)
                servers_done = True
            continue
        if stripped.startswith("listen ") and stripped.endswith(";"):
            indent = line[: len(line) - len(line.lstrip())]
            out.append(f"{indent}listen {listen};")
            continue
        if stripped.startswith("access_log ") and access_log is not None:
            indent = line[: len(line) - len(line.lstrip())]
            out.append(f"{indent}access_log {access_log} faqbot;")
            continue
        out.append(line)
    return "\n".join(out) + "\n"


def nginx_main_config(site: str, run_dir: Path) -> str:
    """A whole nginx.conf around the site, with every file nginx writes in `run_dir` (no root needed)."""
    temp = run_dir / "tmp"
    # started by root (a container, CI), nginx would run its workers as `nobody`, who cannot enter the
    # owner-only data folder where its temporary files are: they run as the user who started it instead
    user = "user root;\n" if os.geteuid() == 0 else ""
    return (
        f"{user}worker_processes 1;\npid {run_dir / 'nginx.pid'};\nerror_log {run_dir / 'error.log'} warn;\n"
        "daemon off;\nevents { worker_connections 1024; }\n"
        "http {\n"
        f"  client_body_temp_path {temp}/body;\n  proxy_temp_path {temp}/proxy;\n"
        f"  fastcgi_temp_path {temp}/fastcgi;\n  uwsgi_temp_path {temp}/uwsgi;\n  scgi_temp_path {temp}/scgi;\n"
        f"{site}"
        "}\n"
    )


@dataclass
class Stack:
    """Rasa instance(s), the web service process(es) and, with several of those, nginx in front of them."""

    settings: Settings
    rasa_port: int
    rasa_bin: Path = field(default_factory=default_rasa_bin)
    log_dir: Path | None = None
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    rasa_ports: list[int] = field(default_factory=list)  # default: [rasa_port]
    web_ports: list[int] = field(default_factory=list)  # default: [settings.port] (nginx then not needed)

    def __post_init__(self) -> None:
        self.rasa_ports = self.rasa_ports or [self.rasa_port]
        self.web_ports = self.web_ports or [self.settings.port]
        self._pumps: list[threading.Thread] = []

    @property
    def behind_nginx(self) -> bool:
        return self.web_ports != [self.settings.port]

    @property
    def web_url(self) -> str:
        """Where customers and agents connect: nginx when there is one, else the one service process."""
        return f"http://{self.settings.host}:{self.settings.port}"

    @property
    def web_urls(self) -> list[str]:
        """Each service process, directly."""
        return [f"http://{self.settings.host}:{port}" for port in self.web_ports]

    @property
    def rasa_url(self) -> str:
        return self.rasa_urls[0]

    @property
    def rasa_urls(self) -> list[str]:
        return [f"http://127.0.0.1:{port}" for port in self.rasa_ports]

    @staticmethod
    def web_name(index: int) -> str:
        return "web" if index == 0 else f"web-{index + 1}"

    @staticmethod
    def rasa_name(index: int) -> str:
        return "rasa" if index == 0 else f"rasa-{index + 1}"

    def _log(self, name: str):
        if self.log_dir is None:
            return None
        self.log_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        create_owner_only(self.log_dir / f"{name}.log")
        return open(self.log_dir / f"{name}.log", "ab")

    def web_env(self, index: int = 0) -> dict[str, str]:
        """The web service's environment: every setting as FAQBOT_<NAME>, pointing at this stack's Rasa."""
        settings = {f"FAQBOT_{f.name.upper()}": str(getattr(self.settings, f.name)) for f in fields(Settings)}
        env = {
            **os.environ,
            "HF_HUB_OFFLINE": "1",
            "TOKENIZERS_PARALLELISM": "false",
            "TQDM_DISABLE": "1",  # no progress bars in the log (they are not log lines)
            **settings,
            "FAQBOT_PORT": str(self.web_ports[index]),
            "FAQBOT_RASA_URL": ",".join(self.rasa_urls),
            WORKER_ENV: str(index + 1),
            log_format.PROCESS_NAME_ENV: f"web-{index + 1}",
        }
        env.pop(MULTIPROC_ENV, None)
        if len(self.web_ports) > 1:  # one /metrics for all of them (prometheus_client's multi-process mode)
            env[MULTIPROC_ENV] = str(self.metrics_dir)
        return env

    @property
    def metrics_dir(self) -> Path:
        return self.settings.data_dir / "metrics"

    def rasa_env(self, index: int = 0) -> dict[str, str]:
        return rasa_env({
            "FAQBOT_ACTION_ENDPOINT_URL": f"{self.web_url}/actions/webhook",
            "FAQBOT_ACTION_TOKEN": self.settings.action_token,
            "FAQBOT_RASA_JWT_SECRET": self.settings.rasa_jwt_secret,
            "FAQBOT_RASA_SESSION_TURNS": str(self.settings.rasa_session_turns),
            log_format.PROCESS_NAME_ENV: f"rasa-{index + 1}",
            **RasaStores.from_settings(self.settings).rasa_env(),
        })

    def start_rasa(self, model: Path, index: int = 0) -> None:
        self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        name = self.rasa_name(index)
        out = self._log(name)
        json_lines = self.settings.log_format == "json" and out is not None
        process = subprocess.Popen(
            [*rasa_server_command(self.rasa_bin), "run", "--enable-api", "--model", str(model),
             "--endpoints", "bot/endpoints.yml", "--credentials", "bot/credentials.yml",
             "--port", str(self.rasa_ports[index]), "--interface", "127.0.0.1"],
            cwd=REPO_ROOT, env=self.rasa_env(index),
            stdout=subprocess.PIPE if json_lines else (out or subprocess.DEVNULL), stderr=subprocess.STDOUT,
            start_new_session=True, umask=OWNER_ONLY_UMASK,  # its tracker store: owner only
        )
        self.processes[name] = process
        if json_lines:  # Rasa's own lines, as JSON lines beside the service's
            pump = threading.Thread(target=pump_as_json, args=(process.stdout, out, f"rasa-{index + 1}"),
                                    daemon=True, name=f"log-{name}")
            pump.start()
            self._pumps.append(pump)

    def start_web(self, index: int = 0) -> None:
        name = self.web_name(index)
        out = self._log(name)
        self.processes[name] = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "faqbot.app:create_app", "--factory", "--host", self.settings.host,
             "--port", str(self.web_ports[index]), "--ws", "wsproto", "--log-level", "warning",
             "--timeout-keep-alive", str(KEEP_ALIVE_SECONDS),
             "--ws-max-size", str(self.settings.max_ws_message_bytes)],
            cwd=REPO_ROOT, env=self.web_env(index), stdout=out, stderr=subprocess.STDOUT if out else None,
            start_new_session=True, umask=OWNER_ONLY_UMASK,
        )

    def start_nginx(self) -> None:
        """nginx on the public port, spreading HTTP and WebSockets over the service processes."""
        binary = nginx_bin()
        if binary is None:
            raise LayoutError("nginx is not installed (apt-get install nginx)")
        run_dir = self.settings.data_dir / "nginx"
        for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (run_dir / "tmp" / sub).mkdir(parents=True, exist_ok=True)
        site = nginx_site(f"{self.settings.host}:{self.settings.port}",
                          [f"127.0.0.1:{port}" for port in self.web_ports], run_dir / "access.log")
        config = run_dir / "nginx.conf"
        config.write_text(nginx_main_config(site, run_dir))
        out = self._log("nginx")
        self.processes["nginx"] = subprocess.Popen(
            [binary, "-c", str(config), "-p", str(run_dir)], stdout=out or subprocess.DEVNULL,
            stderr=subprocess.STDOUT, start_new_session=True)

    def start_webs(self) -> None:
        """The service processes: the first alone (it migrates the database and builds the index), then the
        others at once (they find both done)."""
        if len(self.web_ports) > 1:
            prepare_multiprocess_dir(self.metrics_dir)
        if self.behind_nginx:
            self.start_nginx()
        self.start_web(0)
        if len(self.web_ports) > 1:
            self.wait_web(indexes=[0])
            for index in range(1, len(self.web_ports)):
                self.start_web(index)

    def start_rasas(self, model: Path) -> None:
        for index in range(len(self.rasa_ports)):
            self.start_rasa(model, index)

    def wait_rasa(self, timeout: float = 180, indexes: list[int] | None = None) -> None:
        auth = RasaServiceAuth(self.settings.rasa_jwt_secret)
        for index in indexes if indexes is not None else range(len(self.rasa_ports)):
            url = self.rasa_urls[index]
            wait_until(lambda url=url: bool(httpx.get(f"{url}/status", timeout=2, auth=auth).json().get("model_file")),
                       timeout, self.rasa_name(index), self.processes.get(self.rasa_name(index)))

    def wait_web(self, timeout: float = 180, indexes: list[int] | None = None) -> None:
        for index in indexes if indexes is not None else range(len(self.web_ports)):
            url = self.web_urls[index]
            wait_until(lambda url=url: httpx.get(f"{url}/livez", timeout=2).status_code == 200,
                       timeout, f"the web service ({self.web_name(index)})", self.processes.get(self.web_name(index)))
        if self.behind_nginx and indexes is None:
            wait_until(lambda: httpx.get(f"{self.web_url}/livez", timeout=2).status_code == 200, 30, "nginx",
                       self.processes.get("nginx"))

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


def pump_as_json(stream, out, process_name: str) -> None:
    """Copy a child's output to its log file, each line as a JSON object (kept as is if it already is one)."""
    import json

    with stream, out:
        for raw in iter(stream.readline, b""):
            line = raw.decode("utf-8", "replace").rstrip("\n")
            if not line.strip():
                continue
            if not line.startswith("{"):
                line = json.dumps({"ts": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "process": process_name,
                                   "message": line}, ensure_ascii=False)
            out.write(line.encode() + b"\n")
            out.flush()


def layout_ports(settings: Settings, rasa_port: int, workers: int, rasa_instances: int,
                 free: bool = False) -> tuple[list[int], list[int]]:
    """The ports of the service processes and Rasa instances: one process takes FAQBOT_PORT itself; several
    sit behind nginx (on FAQBOT_PORT) on the next ports (free ones when `free`)."""
    if workers == 1:
        web = [settings.port]
    else:
        web = [free_port() if free else settings.port + 1 + i for i in range(workers)]
    rasa = [rasa_port] + [free_port() if free else rasa_port + i for i in range(1, rasa_instances)]
    return web, rasa


@contextmanager
def running(settings: Settings, rasa_port: int, model: Path, log_dir: Path | None = None, *, workers: int = 1,
            rasa_instances: int = 1) -> Iterator[Stack]:
    """Every process started and ready; stopped on exit."""
    settings = with_secrets(settings)
    check_layout(settings, workers, rasa_instances)
    web_ports, rasa_ports = layout_ports(settings, rasa_port, workers, rasa_instances, free=True)
    stack = Stack(settings, rasa_port, log_dir=log_dir, rasa_ports=rasa_ports, web_ports=web_ports)
    try:
        stack.start_rasas(model)  # the slowest to start: first
        stack.start_webs()
        stack.wait_web()
        stack.wait_rasa()
        yield stack
    finally:
        stack.stop()


def up(settings: Settings, rasa_port: int, workers: int = 1, rasa_instances: int = 1) -> None:
    """`faqbot up`: everything, in the foreground, until Ctrl-C."""
    started = time.perf_counter()
    settings = with_secrets(settings)
    try:
        check_layout(settings, workers, rasa_instances)
    except LayoutError as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(2) from exc
    model = ensure_model(settings.data_dir / "models", log_file=settings.data_dir / "logs" / "train.log")
    web_ports, rasa_ports = layout_ports(settings, rasa_port, workers, rasa_instances)
    stack = Stack(settings, rasa_port, log_dir=settings.data_dir / "logs", rasa_ports=rasa_ports,
                  web_ports=web_ports)
    signal.signal(signal.SIGTERM, _raise_interrupt)  # `kill` stops the children too
    try:
        stack.start_rasas(model)  # the slowest to start: first
        stack.start_webs()
        stack.wait_web()
        stack.wait_rasa()
        url = stack.web_url
        layout = (f"  processes     : {workers} service process(es) on ports "
                  f"{', '.join(map(str, web_ports))} behind nginx\n" if stack.behind_nginx else "")
        print(
            f"\nfaqbot is up in {time.perf_counter() - started:.0f} s\n"
            f"  customer chat : {url}/\n"
            f"  back office   : {url}/app/    (login {settings.bootstrap_agent.replace(':', ' / ') or 'see README'})\n"
            f"  API docs      : {url}/docs\n"
            f"  embed widget  : <script src=\"{url}/widget.js\" async></script>\n"
            f"{layout}"
            f"  Rasa          : {', '.join(stack.rasa_urls)}   (logs in {settings.data_dir / 'logs'})\n"
            f"  operations    : {url}/livez  {url}/readyz  {url}/metrics\n"
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

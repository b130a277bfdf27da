"""Prometheus metrics of one service process (`GET /metrics`), with prometheus_client.

Two kinds:
- **Per process** (counters and histograms: turns, their latency by stage, answer outcomes, Rasa calls and
  errors; the index's size and build time): each process counts its own. With several processes on a
  machine, `PROMETHEUS_MULTIPROC_DIR` (the launcher sets it) makes prometheus_client keep the values in
  files there, and `/metrics` on any process answers for all of them (multi-process mode, summed).
- **The desk, read from the database** (handoffs by reason, queue depth and waiting time, first-reply
  time): the same for every process, so sampled every few seconds by each and reported as gauges
  (`max` across processes, not summed: a fleet-wide figure, not N times it).

`faqbot_process_info` names the process (host, pid, worker) so a scrape says who answered.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client import multiprocess as prometheus_multiprocess
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from handoff.store import handoffs_table
from storage import utcnow

log = logging.getLogger(__name__)

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
WORKER_ENV = "FAQBOT_WORKER_ID"
STAGES = ("total", "frustration", "rasa", "actions")
LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0)
RECENT = dt.timedelta(hours=1)  # the window of the desk's time figures


def multiprocess_dir() -> Path | None:
    raw = os.environ.get(MULTIPROC_ENV, "")
    return Path(raw) if raw else None


class Metrics:
    """The service's metrics, registered in a registry of their own (no global state between apps)."""

    def __init__(self, worker: str | None = None) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.turns = Counter("faqbot_turns", "Customer messages handled, by what the bot answered",
                             ["outcome"], registry=r)
        self.turn_seconds = Histogram("faqbot_turn_seconds", "Latency of a customer turn, by stage",
                                      ["stage"], buckets=LATENCY_BUCKETS, registry=r)
        self.rasa_seconds = Histogram("faqbot_rasa_request_seconds", "Requests to Rasa, by instance and kind",
                                      ["instance", "kind"], buckets=LATENCY_BUCKETS, registry=r)
        self.rasa_errors = Counter("faqbot_rasa_errors", "Failed requests to Rasa, by instance and error",
                                   ["instance", "error"], registry=r)
        self.rate_limited = Counter("faqbot_rate_limited", "Requests and socket events refused by a rate limit, "
                                    "by limit (e.g. messages-ip, login-name)", ["limit"], registry=r)
        self._rate_limited_by_name: dict[str, Any] = {}
        self.index_articles = Gauge("faqbot_index_articles", "Published articles in this process's index",
                                    registry=r, multiprocess_mode="max")
        self.index_phrasings = Gauge("faqbot_index_phrasings", "Phrasings (vectors) in this process's index",
                                     registry=r, multiprocess_mode="max")
        self.index_build_seconds = Gauge("faqbot_index_build_seconds", "Time the latest index (re)build took",
                                         registry=r, multiprocess_mode="max")
        self.handoffs = Gauge("faqbot_handoffs_opened", "Handoffs opened so far, by reason (from the database)",
                              ["reason"], registry=r, multiprocess_mode="max")
        self.queue_depth = Gauge("faqbot_queue_depth", "Handoffs waiting for an agent (from the database)",
                                 registry=r, multiprocess_mode="max")
        self.queue_oldest = Gauge("faqbot_queue_oldest_wait_seconds", "How long the longest-waiting handoff has "
                                  "waited (0: none waiting)", registry=r, multiprocess_mode="max")
        self.queue_wait = Gauge("faqbot_queue_wait_seconds", "Time from handoff to an agent taking it, over the "
                                "last hour", ["quantile"], registry=r, multiprocess_mode="max")
        self.first_reply = Gauge("faqbot_first_reply_seconds", "Time from handoff to the first agent reply, "
                                 "over the last hour", ["quantile"], registry=r, multiprocess_mode="max")
        self.process = Gauge("faqbot_process_info", "This process: host, pid and worker number (value 1)",
                             ["host", "pid", "worker"], registry=r, multiprocess_mode="liveall")
        self.started = Gauge("faqbot_process_start_time_seconds", "When this process started (Unix time)",
                             ["pid"], registry=r, multiprocess_mode="liveall")
        pid = str(os.getpid())
        self.process.labels(socket.gethostname(), pid, worker or os.environ.get(WORKER_ENV, "0")).set(1)
        self.started.labels(pid).set(time.time())

    # -- what the service reports ------------------------------------------------------------------

    def turn(self, seconds: float, outcomes: Iterable[str]) -> None:
        self.turn_seconds.labels("total").observe(seconds)
        for outcome in outcomes:
            self.turns.labels(outcome).inc()

    def refused(self, limit: str) -> None:
        """One refusal by a rate limit (called per request of a flood: the labelled child is looked up once)."""
        child = self._rate_limited_by_name.get(limit)
        if child is None:
            child = self._rate_limited_by_name[limit] = self.rate_limited.labels(limit)
        child.inc()

    def stage(self, stage: str, seconds: float) -> None:
        self.turn_seconds.labels(stage).observe(seconds)

    def rasa_call(self, instance: str, kind: str, seconds: float | None, error: str | None) -> None:
        """A request to a Rasa instance: its latency when it answered, its error when it failed."""
        if seconds is not None:
            self.rasa_seconds.labels(instance, kind).observe(seconds)
            if kind == "turn":
                self.stage("rasa", seconds)
        if error is not None:
            self.rasa_errors.labels(instance, error).inc()

    def index(self, articles: int, phrasings: int, build_seconds: float | None) -> None:
        self.index_articles.set(articles)
        self.index_phrasings.set(phrasings)
        if build_seconds is not None:
            self.index_build_seconds.set(build_seconds)

    async def sample_desk(self, engine: AsyncEngine, now: dt.datetime | None = None) -> None:
        """The desk's figures, read from the database."""
        now = now or utcnow()
        h = handoffs_table
        async with engine.connect() as conn:
            by_reason = (await conn.execute(select(h.c.reason, func.count()).group_by(h.c.reason))).all()
            queued = (await conn.execute(select(h.c.created_at).where(h.c.status == "queued"))).scalars().all()
            recent = (await conn.execute(
                select(h.c.created_at, h.c.assigned_at, h.c.first_reply_at)
                .where(h.c.created_at >= now - RECENT))).all()
        for reason, count in by_reason:
            self.handoffs.labels(reason).set(count)
        self.queue_depth.set(len(queued))
        self.queue_oldest.set(max(((now - c).total_seconds() for c in queued), default=0.0))
        for gauge, values in ((self.queue_wait, [(a - c).total_seconds() for c, a, _ in recent if a]),
                              (self.first_reply, [(f - c).total_seconds() for c, _, f in recent if f])):
            for q, value in quantiles(values).items():
                gauge.labels(q).set(value)

    # -- the scrape --------------------------------------------------------------------------------

    def exposition(self) -> tuple[bytes, str]:
        """The text the scrape gets: every process on this machine's in multi-process mode, else this one's."""
        if multiprocess_dir() is not None:
            registry = CollectorRegistry()
            prometheus_multiprocess.MultiProcessCollector(registry)
            return generate_latest(registry), CONTENT_TYPE_LATEST
        return generate_latest(self.registry), CONTENT_TYPE_LATEST


def turn_outcome(messages: Iterable[Any], handoff: Any) -> str:
    """What one customer turn came to: the outcome of the bot's first reply that states one (answer, clarify,
    rephrase, feedback_noted, ...), `handoff` when the bot handed over, `bot_unavailable` when Rasa did not
    answer, `human` when a person has the conversation, `reply` for any other bot reply."""
    bot = [m for m in messages if getattr(m.sender, "value", m.sender) == "bot"]
    for message in bot:
        if message.data.get("handoff"):
            return "handoff"
        if message.data.get("outcome"):
            return str(message.data["outcome"])
    if bot:
        return "reply"
    if handoff is not None and getattr(handoff.reason, "value", handoff.reason) == "bot_unavailable" and any(
            m.data.get("reason") == "bot_unavailable" for m in messages):
        return "bot_unavailable"
    return "human" if handoff is not None else "none"


def quantiles(values: list[float]) -> dict[str, float]:
    """Median and 90th percentile (nearest rank); none when there are no values."""
    if not values:
        return {}
    ordered = sorted(values)

    def at(p: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(round(p * (len(ordered) - 1))))], 3)

    return {"0.5": at(0.5), "0.9": at(0.9)}


def prepare_multiprocess_dir(path: Path) -> None:
    """An empty folder for the metrics of a new set of processes (old files would be counted again)."""
    path.mkdir(parents=True, exist_ok=True)
    for stale in path.glob("*.db"):
        stale.unlink()


def process_exited(pid: int) -> None:
    """Drop a dead process's live gauges (multi-process mode)."""
    if multiprocess_dir() is not None:
        prometheus_multiprocess.mark_process_dead(pid)


class TimedDetector:
    """A frustration detector whose `assess` is timed as the turn's `frustration` stage."""

    def __init__(self, inner: Any, metrics: Metrics) -> None:
        self._inner = inner
        self._metrics = metrics

    def assess(self, *args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return self._inner.assess(*args, **kwargs)
        finally:
            self._metrics.stage("frustration", time.perf_counter() - started)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

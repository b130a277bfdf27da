"""The composition root of the web service: `create_app(settings)` builds everything at start-up."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from embeddings import TextEncoder
from faqbot import log_format
from faqbot.analytics import Rollup
from faqbot.api import (
    actions,
    agent,
    analytics,
    audit,
    customer,
    docs,
    history,
    kb,
    ops,
    pages,
    privacy,
    team,
    translations,
    widget,
)
from faqbot.api.errors import install_error_handlers
from faqbot.api.rate_limits import PerAddressLimits
from faqbot.conversations import EventHub
from faqbot.conversations.hub import KB_TOPIC
from faqbot.customer_data import CustomerData
from faqbot.db_outage import is_database_unavailable
from faqbot.fleet import Leadership
from faqbot.metrics import Metrics
from faqbot.security.body_limit import BodyLimit
from faqbot.security.headers import SecurityHeaders, api_headers
from faqbot.settings import Settings
from faqbot.wiring import Services, build_services
from frustration import FrustrationDetector
from handoff.desk import HandoffDesk
from knowledge_base.service import KnowledgeBase


def create_app(settings: Settings | None = None, *, encoder: TextEncoder | None = None,
               frustration_detector: FrustrationDetector | None = None) -> FastAPI:
    settings = settings or Settings.from_env()
    # one format for this process's lines and uvicorn's; cards, secrets, e-mails and phones masked in every one
    log_format.configure(settings.log_level, settings.log_format)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        services = await build_services(settings, encoder, frustration_detector)
        app.state.services = services
        await services.desk.recover_after_restart()
        watcher = asyncio.create_task(_watch_kb_forever(services.core.knowledge, settings.kb_poll_seconds))
        follower = asyncio.create_task(_follow_kb_changes(services.hub, services.core.knowledge))
        sweeper = asyncio.create_task(_sweep_forever(services.desk, services.leader, settings.sweep_seconds))
        retention = asyncio.create_task(_retention_forever(services.customer_data, services.leader,
                                                           RETENTION_SWEEP_SECONDS))
        rollups = asyncio.create_task(_analytics_forever(services.analytics.rollup,
                                                         settings.analytics_refresh_seconds))
        sampler = asyncio.create_task(_sample_metrics_forever(services, METRICS_SAMPLE_SECONDS))
        logging.getLogger(__name__).info("faqbot ready with %d published articles",
                                         services.core.knowledge.article_count)
        try:
            yield
        finally:
            for task in (watcher, follower, sweeper, retention, rollups, sampler):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await services.aclose()

    app = FastAPI(
        title="faqbot",
        description="Customer-service assistant: Rasa bot, knowledge base and human handoff.",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,   # served by faqbot.api.docs from the service's own copy of Swagger UI (works offline)
        redoc_url=None,  # ReDoc would load from a CDN
    )
    install_error_handlers(app)
    https = settings.resolved_public_url.startswith("https://")
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(SecurityHeaders, widget_frame_ancestors=settings.widget_frame_ancestors, https=https)
    app.add_middleware(log_format.RequestIds)  # every line of a request carries its ids
    # outermost: a flood's refusals skip the rest (their 429 carries the same headers, made once)
    app.add_middleware(PerAddressLimits, headers=api_headers(https))
    app.include_router(customer.router)
    app.include_router(widget.router)
    app.include_router(agent.router)
    app.include_router(team.router)
    app.include_router(audit.router)
    app.include_router(history.router)
    app.include_router(kb.router)
    app.include_router(analytics.router)
    app.include_router(translations.router)
    app.include_router(privacy.router)
    app.include_router(actions.router)
    app.include_router(pages.router)
    app.include_router(docs.router)
    app.include_router(ops.router)
    app.mount("/static", StaticFiles(directory=pages.STATIC), name="static")
    return app


RETENTION_SWEEP_SECONDS = 3600.0
OUTAGE_LOG_SECONDS = 30.0
_outage_logged: dict[str, float] = {}


def _failed(what: str, exc: Exception) -> None:
    """A background job's failure. The database out of reach is the server's state, not a bug: one warning line
    per job every OUTAGE_LOG_SECONDS (the job keeps its schedule and succeeds again once it is back); anything
    else is logged with its stack trace."""
    log = logging.getLogger(__name__)
    if not is_database_unavailable(exc):
        log.error("%s failed", what, exc_info=exc)
        return
    now = time.monotonic()
    if now - _outage_logged.get(what, -OUTAGE_LOG_SECONDS) >= OUTAGE_LOG_SECONDS:
        _outage_logged[what] = now
        log.warning("%s skipped: the database is unavailable (%s)", what, exc.__class__.__name__)
METRICS_SAMPLE_SECONDS = 5.0


async def _sample_metrics_forever(services: Services, interval_seconds: float) -> None:
    """The figures read rather than counted: the desk's (from the database) and the index's."""
    metrics: Metrics = services.metrics
    knowledge = services.core.knowledge
    while True:
        try:
            metrics.index(knowledge.article_count, knowledge.phrasing_count, knowledge.last_reload_seconds)
            await metrics.sample_desk(services.core.engine)
        except Exception as exc:
            _failed("sampling the desk's metrics", exc)
        await asyncio.sleep(interval_seconds)


async def _retention_forever(customer_data: CustomerData, leader: Leadership, interval_seconds: float) -> None:
    """Erase transcripts past the retention period: at start, then every hour (on the leader)."""
    while True:
        try:
            if await leader.lead():
                await customer_data.apply_retention()
        except Exception as exc:
            _failed("the retention sweep", exc)
        await asyncio.sleep(interval_seconds)


async def _analytics_forever(rollup: Rollup, interval_seconds: float) -> None:
    """Keep the analytics roll-ups current, so a dashboard request has little left to catch up (the first run
    after the migration builds them for the whole history)."""
    while True:
        try:
            await rollup.refresh()
        except Exception as exc:
            _failed("the analytics roll-up refresh", exc)
        await asyncio.sleep(interval_seconds)


async def _watch_kb_forever(knowledge: KnowledgeBase, interval_seconds: float) -> None:
    """Poll for changes made outside the service (KnowledgeBase.watch's loop, with a database outage logged
    once in a while rather than a stack trace per poll)."""
    while True:
        await asyncio.sleep(interval_seconds)
        try:
            if await knowledge.reload_if_changed():
                logging.getLogger(__name__).info("knowledge base changed outside this process: reloaded")
        except Exception as exc:
            _failed("checking the knowledge base for changes", exc)


async def _follow_kb_changes(hub: EventHub, knowledge: KnowledgeBase) -> None:
    """Reload the retriever when another process published a change (told through the hub, at once)."""
    while True:
        async with hub.subscribe(KB_TOPIC) as subscription:
            while (event := await subscription.get()) is not None:  # None: fell behind; subscribe again
                try:
                    if await knowledge.reload_if_changed():
                        logging.getLogger(__name__).info("knowledge base changed in another process: reloaded",
                                                         extra={"event": event.get("type")})
                except Exception:
                    logging.getLogger(__name__).exception("reloading the knowledge base failed")


async def _sweep_forever(desk: HandoffDesk, leader: Leadership, interval_seconds: float) -> None:
    """Time-based handoff work (grace periods, auto-assignment, queue updates, breach flags), done by one
    process of several: the leader."""
    while True:
        await asyncio.sleep(interval_seconds)
        try:
            if await leader.lead():
                await desk.sweep()
        except Exception as exc:  # keep sweeping; one bad tick must not stop grace periods for good
            _failed("the handoff sweep", exc)

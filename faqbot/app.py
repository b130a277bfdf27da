"""The composition root of the web service: `create_app(settings)` builds everything at start-up."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from embeddings import TextEncoder
from faqbot.api import actions, agent, customer, history, kb, pages, widget
from faqbot.api.errors import install_error_handlers
from faqbot.desk import HandoffDesk
from faqbot.settings import Settings
from faqbot.wiring import build_services
from frustration import FrustrationDetector


def create_app(settings: Settings | None = None, *, encoder: TextEncoder | None = None,
               frustration_detector: FrustrationDetector | None = None) -> FastAPI:
    settings = settings or Settings.from_env()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        services = await build_services(settings, encoder, frustration_detector)
        app.state.services = services
        await services.desk.recover_after_restart()
        watcher = asyncio.create_task(services.core.knowledge.watch(settings.kb_poll_seconds))
        sweeper = asyncio.create_task(_sweep_forever(services.desk, settings.sweep_seconds))
        logging.getLogger(__name__).info("faqbot ready with %d published articles",
                                         services.core.knowledge.article_count)
        try:
            yield
        finally:
            for task in (watcher, sweeper):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await services.aclose()

    app = FastAPI(
        title="faqbot",
        description="Customer-service assistant: Rasa bot, knowledge base and human handoff.",
        version="0.1.0",
        lifespan=lifespan,
    )
    install_error_handlers(app)
    app.include_router(customer.router)
    app.include_router(widget.router)
    app.include_router(agent.router)
    app.include_router(history.router)
    app.include_router(kb.router)
    app.include_router(actions.router)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=pages.STATIC), name="static")
    return app


async def _sweep_forever(desk: HandoffDesk, interval_seconds: float) -> None:
    """Time-based handoff work (grace periods, auto-assignment, queue updates, breach flags)."""
    while True:
        await asyncio.sleep(interval_seconds)
        try:
            await desk.sweep()
        except Exception:  # keep sweeping; one bad tick must not stop grace periods for good
            logging.getLogger(__name__).exception("handoff sweep failed")

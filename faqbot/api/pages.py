"""The two web pages (customer chat, agent console), the embeddable widget script, and health."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter
from fastapi.responses import FileResponse

from faqbot.api.deps import ServicesDep

STATIC = Path(__file__).resolve().parent.parent / "static"

router = APIRouter(tags=["pages"])


@router.get("/", include_in_schema=False)
async def chat_page() -> FileResponse:
    return FileResponse(STATIC / "chat.html", media_type="text/html")


@router.get("/agent", include_in_schema=False)
async def agent_page() -> FileResponse:
    return FileResponse(STATIC / "agent.html", media_type="text/html")


@router.get("/widget.js", include_in_schema=False)
async def widget_script() -> FileResponse:
    return FileResponse(STATIC / "widget.js", media_type="application/javascript")


@router.get("/healthz", tags=["health"])
async def healthz(services: ServicesDep) -> dict[str, Any]:
    return {
        "status": "ok",
        "rasa_ready": await services.rasa.is_ready(),
        "published_articles": services.core.knowledge.article_count,
    }

"""The web pages: the customer chat (also the widget's frame), the back office, the widget loader, and health.

The pages are built from `frontend/` into `faqbot/static/dist/` (scripts/bootstrap.sh runs the build) and served
from there; `/static/dist/...` serves their assets.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from fastapi import APIRouter
from fastapi.responses import FileResponse, RedirectResponse
from pydantic import BaseModel, Field

from faqbot.api.deps import ServicesDep
from faqbot.errors import ServiceError

STATIC = Path(__file__).resolve().parent.parent / "static"
DIST = STATIC / "dist"

# old addresses of back-office pages → their section
OLD_PATHS = {"/agent": "/app/inbox", "/editor": "/app/kb", "/kb": "/app/kb", "/analytics": "/app/analytics", "/admin": "/app/team"}

router = APIRouter(tags=["pages"])


class FrontEndNotBuilt(ServiceError):
    status_code = 503
    code = "front_end_not_built"


def _built(name: str, media_type: str) -> FileResponse:
    path = DIST / name
    if not path.is_file():
        raise FrontEndNotBuilt(f"the front end is not built ({name} is missing): run scripts/bootstrap.sh")
    return FileResponse(path, media_type=media_type, headers={"Cache-Control": "no-cache"})


@router.get("/", include_in_schema=False)
async def chat_page() -> FileResponse:
    """The customer chat: full window here, and inside the widget's iframe (/?embedded=1&…)."""
    return _built("widget.html", "text/html; charset=utf-8")


@router.get("/app", include_in_schema=False)
@router.get("/app/{section:path}", include_in_schema=False)
async def back_office(section: str = "") -> FileResponse:
    """The back office (one page app; it reads the section from the path)."""
    return _built("app.html", "text/html; charset=utf-8")


def _redirect_to(target: str):
    async def redirect() -> RedirectResponse:
        return RedirectResponse(target, status_code=308)

    return redirect


for old, new in OLD_PATHS.items():
    router.add_api_route(old, _redirect_to(new), methods=["GET"], include_in_schema=False)


@router.get("/widget.js", include_in_schema=False)
async def widget_script() -> FileResponse:
    """The loader shops embed. With its charset, because a shop's page may be GBK or declare nothing."""
    return _built("widget.js", "text/javascript; charset=utf-8")


class Health(BaseModel):
    status: Literal["ok"]
    rasa_ready: bool
    published_articles: int = Field(ge=0)


@router.get("/healthz", tags=["health"], response_model=Health)
async def healthz(services: ServicesDep) -> dict[str, Any]:
    return {
        "status": "ok",
        "rasa_ready": await services.rasa.is_ready(),
        "published_articles": services.core.knowledge.article_count,
    }

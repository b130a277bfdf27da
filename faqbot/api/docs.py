"""The API docs page (/docs): Swagger UI from the service itself, so it works with no internet.

Its assets (from the pinned npm package swagger-ui-dist) are copied into static/dist/swagger by the front-end
build; the page has no inline script, so it runs under a CSP that allows only the service's own scripts.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from faqbot.api.pages import DIST, FrontEndNotBuilt

router = APIRouter(tags=["pages"])

ASSETS = "/static/dist/swagger"
PAGE = f"""<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>faqbot API</title>
  <link rel="icon" href="{ASSETS}/favicon-32x32.png">
  <link rel="stylesheet" href="{ASSETS}/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="{ASSETS}/swagger-ui-bundle.js"></script>
  <script src="{ASSETS}/swagger-init.js"></script>
</body>
</html>
"""


@router.get("/docs", include_in_schema=False)
async def api_docs() -> HTMLResponse:
    if not (DIST / "swagger" / "swagger-ui-bundle.js").is_file():
        raise FrontEndNotBuilt("the API docs' assets are not built (swagger-ui-dist): run scripts/bootstrap.sh")
    return HTMLResponse(PAGE, headers={"Cache-Control": "no-cache"})

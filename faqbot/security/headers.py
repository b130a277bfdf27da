"""Security headers on every HTTP response: CSP, framing rules, nosniff, referrer policy (HSTS over HTTPS).

The pages load only their own scripts, styles and fonts (the front end is built into static files with no
inline scripts), talk only to this origin (HTTP and WebSocket) and cannot be framed, except the customer
chat page, which the widget shows in an iframe on the shop's site: its `frame-ancestors` come from
FAQBOT_WIDGET_FRAME_ANCESTORS (the shop's origins). The API docs page runs Swagger UI from the service's own
copy (no CDN); it gets a policy of its own only because Swagger UI sets inline styles.
"""

from __future__ import annotations

from collections.abc import Iterable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

PAGE_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
               "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'")
DOCS_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
               "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
               "frame-ancestors 'none'")
DOCS_PATHS = frozenset({"/docs"})
WIDGET_PAGES = frozenset({"/"})  # shown inside the widget's iframe on the shop's pages


def frame_ancestors(origins: str) -> str:
    """The CSP source list for the widget page from a space- or comma-separated list ('*' allows any site)."""
    sources = [o.strip() for o in origins.replace(",", " ").split() if o.strip()]
    return " ".join(sources) if sources else "'none'"


class SecurityHeaders:
    """Pure ASGI middleware (cheap on every response, streaming ones included)."""

    def __init__(self, app: ASGIApp, *, widget_frame_ancestors: str = "*", https: bool = False,
                 widget_pages: Iterable[str] = WIDGET_PAGES) -> None:
        self.app = app
        self._widget_ancestors = frame_ancestors(widget_frame_ancestors)
        self._widget_pages = frozenset(widget_pages)
        self._https = https

    def headers_for(self, path: str) -> list[tuple[bytes, bytes]]:
        common = [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"same-origin")]
        if self._https:
            common.append((b"strict-transport-security", b"max-age=31536000"))
        if path in DOCS_PATHS:
            return [*common, (b"content-security-policy", DOCS_POLICY.encode()), (b"x-frame-options", b"DENY")]
        if path in self._widget_pages:
            policy = f"{PAGE_POLICY}; frame-ancestors {self._widget_ancestors}"
            return [*common, (b"content-security-policy", policy.encode())]
        policy = f"{PAGE_POLICY}; frame-ancestors 'none'"
        return [*common, (b"content-security-policy", policy.encode()), (b"x-frame-options", b"DENY")]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = self.headers_for(scope.get("path", ""))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {name.lower() for name, _ in message.get("headers", [])}
                message["headers"] = [*message.get("headers", []), *(h for h in extra if h[0] not in names)]
            await send(message)

        await self.app(scope, receive, send_with_headers)


def api_headers(https: bool) -> list[tuple[bytes, bytes]]:
    """The headers of an API response, for answers made before this middleware runs (the per-address limits'
    429, faqbot/api/rate_limits.py)."""
    return SecurityHeaders(None, https=https).headers_for("/api/")  # type: ignore[arg-type]

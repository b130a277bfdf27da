"""A shop's web site on another origin (a second local port) that embeds the widget with its one script tag."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class ShopSite:
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.pages: dict[str, tuple[bytes, str]] = {}

    def page(self, path: str, body: str, *, charset: str = "utf-8", widget_src: str | None = None,
             lang: str = "en", head: str = "") -> str:
        """Publish a shop page at `path` (encoded in `charset`); returns its full URL."""
        script = f'<script src="{widget_src}" async></script>' if widget_src else ""
        meta = f'<meta charset="{charset}">' if charset else ""
        viewport = '<meta name="viewport" content="width=device-width, initial-scale=1">'
        html = (f'<!doctype html><html lang="{lang}"><head>{meta}{viewport}<title>Shop</title>{head}</head>'
                f'<body><h1>{body}</h1><p>Products, prices and a basket.</p>{script}</body></html>')
        self.pages[path.split("?")[0]] = (html.encode(charset or "utf-8"), charset)
        return self.base_url + path


@contextmanager
def shop_site() -> Iterator[ShopSite]:
    site = ShopSite("")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the http.server API
            body, charset = site.pages.get(self.path.split("?")[0], (b"not found", "utf-8"))
            self.send_response(200 if self.path.split("?")[0] in site.pages else 404)
            # an older shop: the server names no charset, the page declares it (or not) in a meta tag
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    site.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield site
    finally:
        server.shutdown()

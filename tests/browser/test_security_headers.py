"""The pages work under their Content-Security-Policy, and only the widget's page can be framed (issue 13, 8)."""

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import expect

from tests.live import AGENT

PAGES = {"/": ".greeting", "/app/": "#login"}


@pytest.mark.parametrize("path", list(PAGES))
def test_pages_run_without_a_single_csp_violation(live, browser, path):
    page = browser.new_page()
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    response = page.goto(live.web_url + path)
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.wait_for_selector(PAGES[path])
    page.wait_for_load_state("networkidle")
    if path == "/app/":  # the back office after logging in, too
        page.fill("#username", AGENT[0])
        page.fill("#password", AGENT[1])
        page.click("#login button[type=submit]")
        expect(page.locator(".bo-shell")).to_be_visible()
        page.goto(live.web_url + "/app/inbox")
        page.wait_for_load_state("networkidle")
    assert violations == []
    page.close()


@pytest.fixture
def framing_page(live) -> Iterator[str]:
    """A page on another origin that frames the customer chat and the agent console."""
    html = (f'<html><body><iframe id="chat" src="{live.web_url}/"></iframe>'
            f'<iframe id="console" src="{live.web_url}/app/"></iframe></body></html>').encode()

    class Other(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the http.server API
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(html)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Other)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


def test_the_console_cannot_be_framed_by_another_site_but_the_chat_can(browser, framing_page):
    page = browser.new_page()
    page.goto(framing_page)
    chat = page.frame_locator("#chat")
    expect(chat.locator(".greeting")).to_be_attached(timeout=15_000)
    page.wait_for_timeout(1500)  # the console's frame had as long as the chat's to load
    assert page.frame_locator("#console").locator("#login").count() == 0
    page.close()

"""/docs works with no internet (issue 11, item 10): Swagger UI comes from the service, every request the page
makes goes to the service (any other host is blocked and recorded), the operations render, and nothing
breaks the page's Content-Security-Policy."""

from urllib.parse import urlsplit

from playwright.sync_api import expect


def test_the_api_docs_render_the_operations_offline(live, browser, artifacts):
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    service = urlsplit(live.web_url).netloc
    elsewhere: list[str] = []

    def only_the_service(route):
        if urlsplit(route.request.url).netloc == service:
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    page.route("**/*", only_the_service)
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    page.goto(live.web_url + "/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("faqbot", timeout=20_000)
    operations = page.locator(".opblock-summary-path")
    expect(operations.first).to_be_visible()
    paths = set(operations.all_inner_texts())
    assert {"/api/agent/login", "/api/audit", "/api/conversations"} <= {p.replace("\u200b", "") for p in paths}
    page.locator(".opblock-tag", has_text="team").first.scroll_into_view_if_needed()
    page.wait_for_load_state("networkidle")
    page.screenshot(path=artifacts / "docs-offline-desktop.png")
    page.set_viewport_size({"width": 390, "height": 844})
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=artifacts / "docs-offline-390.png")
    assert elsewhere == [] and violations == []
    page.close()
